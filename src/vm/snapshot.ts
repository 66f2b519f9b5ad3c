// Snapshot restore: boot a guest once to the point where only the per-run steps are left
// (guest-init.ts, the `snapshot` marker), save it, and start later guests from the saved state.
// Guest RAM lives in a file (memory-backend-file): the saved boot maps it MAP_SHARED, so its RAM
// is the file, and the migration stream carries only device state (x-ignore-shared skips shared
// RAM). A restore maps the same file MAP_PRIVATE (share=off): N restored guests share every page
// none of them wrote, and a guest's writes stay its own. QEMU does not reload the kernel into RAM
// while a migration is incoming, so the same -kernel/-append line is safe to pass again.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TimeoutError, WorkloadError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { withLock } from '../util/lock.js';
import { findQemuTools, spawnAttachedQemu } from './launch-qemu.js';
import { createOverlayDisk } from './overlay-disk.js';
import type { PreparedVm } from './prepare.js';
import { buildPreparedQemuArgs } from './prepared-launch.js';
import { connectQmp, type QmpClient } from './qmp.js';
import { SerialParser } from './serial-parser.js';
import {
  fileIdentity,
  readSnapshotMeta,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_TEMP_PREFIX,
  type SnapshotGuest,
  type SnapshotInput,
  type SnapshotMeta,
  snapshotFiles,
  snapshotKey,
  snapshotPaths,
  snapshotsDir,
} from './snapshot-store.js';
import type { VmPaths } from './vm-state.js';

/** QEMU's id of the guest RAM backend; the same on save and restore (the migration stream names it). */
const RAM_BACKEND_ID = 'isobench-ram';

/** How long a snapshot boot may take to reach the snapshot point (a cold TCG boot takes seconds). */
const SNAPSHOT_BOOT_TIMEOUT_MS = 300_000;
/** How long saving the device state may take (no RAM goes through the stream). */
const SAVE_TIMEOUT_MS = 60_000;

/** The -object/-machine arguments that put guest RAM in `ramPath`, shared (save) or private (restore). Pure. */
export function snapshotMemoryArgs(ramPath: string, memoryMiB: number, share: boolean): string[] {
  const file = ramPath.replace(/,/g, ',,');
  return [
    '-object',
    `memory-backend-file,id=${RAM_BACKEND_ID},size=${memoryMiB}M,mem-path=${file},share=${share ? 'on' : 'off'}`,
    '-machine',
    `memory-backend=${RAM_BACKEND_ID}`,
  ];
}

/** A QEMU `exec:` migration URI running `command` on `file` (QEMU runs it with /bin/sh -c). Pure. */
export function execMigrationUri(command: 'cat >' | 'cat', file: string): string {
  return `exec:${command} '${file.replace(/'/g, `'\\''`)}'`;
}

/** What a restore must match, from a prepared launch. */
export function snapshotGuestOf(prepared: PreparedVm): SnapshotGuest {
  return {
    definition: prepared.definition.name,
    kernelRelease: prepared.kernelRelease,
    digest: prepared.image.digest,
    imageRef: prepared.image.ref,
    accel: prepared.accel,
    machine: prepared.machine,
    memoryMiB: prepared.memoryMiB,
    cpus: prepared.cpus,
    network: prepared.network,
    cgroups: prepared.cgroups,
  };
}

const KEY_PATHS: VmPaths = {
  dir: '/snapshot',
  state: '/snapshot/state.json',
  overlay: '/snapshot/disk.qcow2',
  qmpSocket: '/snapshot/qmp.sock',
  serialLog: '/snapshot/serial.log',
  qemuLog: '/snapshot/qemu.log',
};

/** The files a snapshot of `prepared` reads, each with its identity when the key is made. */
export async function snapshotInputsOf(prepared: PreparedVm): Promise<Record<string, SnapshotInput>> {
  const { qemu } = await findQemuTools(false);
  const inputs: Record<string, SnapshotInput> = {};
  for (const [name, file] of [
    ['qemu', qemu],
    ['kernel', prepared.kernelPath],
    ['initrd', prepared.initrdPath],
    ['disk', prepared.baseDiskPath],
  ] as const) {
    if (file !== undefined) inputs[name] = { path: file, identity: await fileIdentity(file) };
  }
  return inputs;
}

/**
 * `prepared` with the per-run fields (command, env, workdir, user) set to fixed placeholders: the
 * snapshot boot never runs them (each restore sends its own), and one snapshot serves every command.
 */
function snapshotBootOf(prepared: PreparedVm): PreparedVm {
  return { ...prepared, argv: ['true'], env: [], workdir: '/', user: '' };
}

/** The content key of the snapshot `prepared` would be restored from (see snapshotKey). */
export async function snapshotKeyOf(prepared: PreparedVm, inputs?: Record<string, SnapshotInput>): Promise<string> {
  const template = await buildPreparedQemuArgs(snapshotBootOf(prepared), KEY_PATHS, {
    nonce: 'snapshotkey00000',
    hostname: 'snapshot',
    serial: { kind: 'stdio' },
    snapshot: true,
  });
  return snapshotKey(template, inputs ?? (await snapshotInputsOf(prepared)));
}

/** Connects to QEMU's QMP socket once QEMU has made it (right after spawn it may not exist yet). */
export async function connectQmpWhenUp(socketPath: string, timeoutMs: number): Promise<QmpClient> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await connectQmp(socketPath, Math.max(1, deadline - Date.now()));
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

/** Polls query-migrate until the migration completes; throws with QEMU's reason when it fails. */
async function waitMigrationDone(qmp: QmpClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = (await qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
    if (info.status === 'completed') return;
    if (info.status === 'failed' || info.status === 'cancelled') {
      throw new WorkloadError(`saving the VM failed: ${info['error-desc'] ?? info.status}`);
    }
    if (Date.now() >= deadline) throw new TimeoutError(`saving the VM took more than ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A snapshot ready to restore from, and whether this call made it. */
export interface EnsuredSnapshot {
  meta: SnapshotMeta;
  created: boolean;
}

/**
 * Returns the snapshot for `prepared` (same content key), taking it first when there is none: one
 * boot to the snapshot point, then a save. Under a lock per key, so concurrent callers take it once.
 */
export async function ensureSnapshot(
  layout: RootLayout,
  prepared: PreparedVm,
  log?: (line: string) => void,
): Promise<EnsuredSnapshot> {
  const inputs = await snapshotInputsOf(prepared);
  const id = await snapshotKeyOf(prepared, inputs);
  const found = await readSnapshotMeta(layout, id);
  if (found) return { meta: found, created: false };
  return withLock(
    layout.locks,
    `vm-snapshot-${id}`,
    async () => {
      const again = await readSnapshotMeta(layout, id);
      if (again) return { meta: again, created: false };
      log?.(`taking snapshot ${id} (one boot to the snapshot point, then a save)`);
      return { meta: await takeSnapshot(layout, prepared, id, inputs), created: true };
    },
    SNAPSHOT_BOOT_TIMEOUT_MS + SAVE_TIMEOUT_MS + 60_000,
  );
}

/** Boots `prepared` to the snapshot point in a staging dir, saves it there, publishes it as `id`. */
async function takeSnapshot(
  layout: RootLayout,
  prepared: PreparedVm,
  id: string,
  inputs: Record<string, SnapshotInput>,
): Promise<SnapshotMeta> {
  await fs.mkdir(layout.tmp, { recursive: true });
  const dir = await fs.mkdtemp(path.join(layout.tmp, `${SNAPSHOT_TEMP_PREFIX}${process.pid}-`));
  try {
    const files = snapshotFiles(dir);
    const vmPaths: VmPaths = { ...KEY_PATHS, dir, overlay: files.disk, qmpSocket: path.join(dir, 'qmp.sock') };
    await createOverlayDisk(prepared.baseDiskPath, files.disk);
    const nonce = randomBytes(8).toString('hex');
    const args = await buildPreparedQemuArgs(snapshotBootOf(prepared), vmPaths, {
      nonce,
      hostname: 'snapshot',
      serial: { kind: 'stdio' },
      snapshot: true,
    });
    const cmdline = args[args.indexOf('-append') + 1]!;
    const t0 = Date.now();
    const { bootMs, saveMs } = await bootAndSave(
      [...args, ...snapshotMemoryArgs(files.ram, prepared.memoryMiB, true)],
      nonce,
      vmPaths.qmpSocket,
      files.state,
    );
    await fs.rm(vmPaths.qmpSocket, { force: true });
    const meta: SnapshotMeta = {
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      id,
      createdAt: new Date(t0).toISOString(),
      guest: snapshotGuestOf(prepared),
      cmdline,
      inputs,
      bootMs,
      saveMs,
    };
    await fs.writeFile(files.meta, `${JSON.stringify(meta, null, 2)}\n`);
    const target = snapshotPaths(layout, id).dir;
    await fs.mkdir(snapshotsDir(layout), { recursive: true });
    await fs.rename(dir, target);
    return meta;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the snapshot boot: waits for the guest's `snapshot` marker, saves the device state to
 * `statePath` over QMP, and quits QEMU. QEMU is gone when this settles, on every path.
 */
async function bootAndSave(
  args: string[],
  nonce: string,
  qmpSocket: string,
  statePath: string,
): Promise<{ bootMs: number; saveMs: number }> {
  const t0 = Date.now();
  const child = await spawnAttachedQemu(args);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  let qmp: QmpClient | undefined;
  try {
    const atPoint = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          fail(
            new TimeoutError(`the snapshot boot did not reach the snapshot point in ${SNAPSHOT_BOOT_TIMEOUT_MS} ms`),
          ),
        SNAPSHOT_BOOT_TIMEOUT_MS,
      );
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      const parser = new SerialParser(nonce, {
        onPhase: (phase) => {
          if (phase.name !== 'snapshot') return;
          clearTimeout(timer);
          resolve();
        },
        onError: (message) => fail(new WorkloadError(`the snapshot boot failed in the guest: ${message}`)),
      });
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => parser.feed(chunk));
      void closed.then(() =>
        fail(
          new WorkloadError(
            `QEMU exited before the snapshot point: ${stderr.trim() || 'no QEMU error'}; last serial lines: ${parser.lastLines().join(' | ')}`,
          ),
        ),
      );
    });
    await atPoint;
    const bootMs = Date.now() - t0;
    const t1 = Date.now();
    qmp = await connectQmpWhenUp(qmpSocket, 10_000);
    await qmp.execute('migrate-set-capabilities', {
      capabilities: [{ capability: 'x-ignore-shared', state: true }],
    });
    await qmp.execute('migrate', { uri: execMigrationUri('cat >', statePath) });
    await waitMigrationDone(qmp, SAVE_TIMEOUT_MS);
    const saveMs = Date.now() - t1;
    await qmp.quit();
    await closed;
    return { bootMs, saveMs };
  } finally {
    qmp?.close();
    child.kill('SIGKILL');
    await closed;
  }
}
