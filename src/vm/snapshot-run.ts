// Runs one VM attached from a snapshot (snapshot.ts) instead of a boot: QEMU starts with the same
// device set waiting for an incoming migration, loads the saved device state, maps the saved RAM
// privately, and resumes the guest where it waits; the host then sends this run's config (fresh
// nonce, hostname = VM id, command) on the console. Each run has its own qcow2 overlay on the
// snapshot's disk and its own VM record, removed however the run ends (as runVm's).
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { InputError, IsobenchError, TimeoutError, WorkloadError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { readProcessStartTicks } from '../util/process.js';
import { loadVmDefinition } from './definition.js';
import { encodeGuestConfigLine } from './guest-config.js';
import { spawnAttachedQemu } from './launch-qemu.js';
import { createOverlayDisk } from './overlay-disk.js';
import { type PreparedVm, prepareVm, validateLaunchOptions } from './prepare.js';
import { newVmState } from './prepared-launch.js';
import { buildQemuArgs } from './qemu-args.js';
import type { QmpClient } from './qmp.js';
import type { RunVmOptions, VmRunResult } from './run-vm.js';
import { SerialParser } from './serial-parser.js';
import {
  connectQmpWhenUp,
  ensureSnapshot,
  execMigrationUri,
  snapshotGuestOf,
  snapshotKeyOf,
  snapshotMemoryArgs,
} from './snapshot.js';
import {
  findSnapshot,
  type SnapshotMeta,
  snapshotFieldMismatch,
  snapshotMismatch,
  snapshotPaths,
} from './snapshot-store.js';
import { assertVmNameFree, createVmRecord } from './vm-reserve.js';
import { newVmId, type VmState, vmPaths, writeVmState } from './vm-state.js';

/** Options of {@link runRestoredVm}. */
export interface RestoreVmOptions extends RunVmOptions {
  /** 'auto': the snapshot that fits this launch, taken first when there is none; else a snapshot id (or unique prefix). */
  fromSnapshot: string;
}

/** A restored run: as a booted one, plus where it came from. */
export interface RestoredVmRunResult extends VmRunResult {
  snapshotId: string;
  /** True when this call took the snapshot first (its boot is not in `phases`). */
  snapshotCreated: boolean;
  /** ns since launch: the incoming migration completed and the guest runs again. */
  restoredNs: number;
}

const DEFAULT_TIMEOUT_MS = 600_000;
/** QEMU start, QMP socket up and the device state loaded (RAM is mapped, not read). */
const RESTORE_TIMEOUT_MS = 60_000;

const MISMATCH_HINT = 'run with the options it was taken with, or pass --from-snapshot auto';

/**
 * The snapshot `options.fromSnapshot` names (undefined for auto), checked against the options
 * before anything is prepared, so bad input changes nothing.
 * @throws InputError for an unknown id or a snapshot taken with other options.
 */
export async function findNamedSnapshot(
  layout: RootLayout,
  options: RestoreVmOptions,
): Promise<SnapshotMeta | undefined> {
  if (options.fromSnapshot === 'auto') return undefined;
  validateLaunchOptions(options);
  const definition = await loadVmDefinition(options.definition ?? 'default');
  const meta = await findSnapshot(layout, options.fromSnapshot);
  const why = snapshotFieldMismatch(meta, {
    definition: definition.name,
    machine: options.machine ?? definition.machine,
    memoryMiB: options.memoryMiB ?? definition.memoryMiB,
    cpus: options.cpus ?? definition.cpus,
    network: options.network ?? 'none',
    cgroups: options.cgroups ?? 'none',
  });
  if (why !== undefined) throw new InputError(why, { hint: MISMATCH_HINT });
  return meta;
}

/** The snapshot to restore `prepared` from: `named` once it matches in full, else the one auto finds or takes. */
async function resolveSnapshot(
  layout: RootLayout,
  prepared: PreparedVm,
  named: SnapshotMeta | undefined,
  log: ((line: string) => void) | undefined,
): Promise<{ meta: SnapshotMeta; created: boolean }> {
  if (named === undefined) return ensureSnapshot(layout, prepared, log);
  const why = snapshotMismatch(named, snapshotGuestOf(prepared), await snapshotKeyOf(prepared));
  if (why !== undefined) throw new InputError(why, { hint: MISMATCH_HINT });
  return { meta: named, created: false };
}

/**
 * Starts `options.image` from a snapshot and waits for its workload to finish. Bad input
 * (unknown snapshot, one taken of another guest, data disks) throws InputError before anything
 * runs; otherwise as runVm: TimeoutError, WorkloadError, INTERRUPTED, and QEMU gone on every path.
 */
export async function runRestoredVm(layout: RootLayout, options: RestoreVmOptions): Promise<RestoredVmRunResult> {
  options.signal?.throwIfAborted();
  if ((options.dataDisks ?? []).length > 0) {
    throw new InputError('a VM restored from a snapshot cannot have data disks (the snapshot has none)', {
      hint: 'boot it instead (drop --from-snapshot)',
    });
  }
  if (options.name !== undefined) await assertVmNameFree(layout, options.name);
  const named = await findNamedSnapshot(layout, options);
  const prepared = await prepareVm(layout, options);
  const { meta, created } = await resolveSnapshot(layout, prepared, named, options.log);
  const id = newVmId();
  const paths = vmPaths(layout, id);
  const state: VmState = {
    ...newVmState(prepared, id, options.name, 'attached', options.keep !== true),
    ownerPid: process.pid,
    ownerStartTicks: readProcessStartTicks(process.pid),
  };
  // The clock starts where runPreparedVm's does: the record and the overlay are timed phases.
  const t0 = process.hrtime.bigint();
  const since = (from: bigint): number => Number(process.hrtime.bigint() - from);
  await createVmRecord(layout, state);
  const vmRecordNs = since(t0);
  try {
    await createOverlayDisk(snapshotPaths(layout, meta.id).disk, paths.overlay, 'qcow2');
    const diskOverlayNs = since(t0);
    const result = await superviseRestored(layout, state, prepared, meta, options, { t0, vmRecordNs, diskOverlayNs });
    state.status = 'exited';
    state.exitCode = result.exitCode;
    return { ...result, snapshotCreated: created };
  } finally {
    state.status = 'exited';
    if (state.autoRemove) await fs.rm(paths.dir, { recursive: true, force: true });
    else await writeVmState(layout, state).catch(() => undefined);
  }
}

/** The restoring QEMU's argv: the saved boot's machine and command line, this VM's overlay and socket. */
function restoreArgs(
  prepared: PreparedVm,
  meta: SnapshotMeta,
  paths: ReturnType<typeof vmPaths>,
  ram: string,
): string[] {
  return [
    ...buildQemuArgs({
      accel: prepared.accel,
      acpi: prepared.acpi,
      machine: prepared.machine,
      memoryMiB: prepared.memoryMiB,
      cpus: prepared.cpus,
      kernelPath: prepared.kernelPath,
      initrdPath: prepared.initrdPath,
      cmdline: meta.cmdline,
      diskPath: paths.overlay,
      network: prepared.network,
      qmpSocketPath: paths.qmpSocket,
      serial: { kind: 'stdio' },
    }),
    ...snapshotMemoryArgs(ram, prepared.memoryMiB, false),
    // Capabilities must be set before the stream is read: the incoming side starts on QMP.
    '-incoming',
    'defer',
  ];
}

/** Loads the saved state over QMP and waits until the guest runs again. */
async function restoreOverQmp(qmp: QmpClient, statePath: string): Promise<void> {
  await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
  await qmp.execute('migrate-incoming', { uri: execMigrationUri('cat', statePath) });
  const deadline = Date.now() + RESTORE_TIMEOUT_MS;
  while ((await qmp.queryStatus()) !== 'running') {
    if (Date.now() >= deadline) throw new TimeoutError(`the VM did not resume within ${RESTORE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

function serialReport(lines: string[]): string {
  return lines.length === 0 ? '(no serial output)' : lines.map((line) => `  | ${line}`).join('\n');
}

async function superviseRestored(
  layout: RootLayout,
  state: VmState,
  prepared: PreparedVm,
  meta: SnapshotMeta,
  options: RestoreVmOptions,
  host: { t0: bigint; vmRecordNs: number; diskOverlayNs: number },
): Promise<Omit<RestoredVmRunResult, 'snapshotCreated'>> {
  const paths = vmPaths(layout, state.id);
  const nonce = randomBytes(8).toString('hex');
  const configLine = encodeGuestConfigLine({
    nonce,
    hostname: state.name,
    argv: prepared.argv,
    env: prepared.env,
    workdir: prepared.workdir,
    user: prepared.user,
    network: prepared.network,
    guestRoot: prepared.guestRoot,
    cgroups: prepared.cgroups,
  });
  const args = restoreArgs(prepared, meta, paths, snapshotPaths(layout, meta.id).ram);
  if (process.env.ISOBENCH_VM_DEBUG === '1') process.stderr.write(`isobench: qemu ${JSON.stringify(args)}\n`);

  const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0);
  let exitCode: number | undefined;
  let guestError: string | undefined;
  let readyNs: number | undefined;
  let restoredNs: number | undefined;
  let uptimeAtReadyMs: number | undefined;
  let restoreError: Error | undefined;
  let stderrTail = '';

  const { t0 } = host;
  let exitNs: number | undefined;
  const parser = new SerialParser(nonce, {
    onPhase: (phase) => {
      if (phase.name !== 'ready') return;
      readyNs = since(t0);
      uptimeAtReadyMs = phase.guestUptimeMs;
      options.onReady?.();
    },
    onOutput: (text) => options.stdout?.(text),
    onExit: (code) => {
      exitCode = code;
      exitNs = since(t0);
    },
    onError: (message) => {
      guestError = message;
    },
  });
  const child = await spawnAttachedQemu(args, 'pipe');
  let qemuStartNs = 0;
  let stopReason: 'timeout' | 'abort' | 'restore' | undefined;
  const kill = (reason: 'timeout' | 'abort' | 'restore'): void => {
    stopReason ??= reason;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => kill('timeout'), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const onAbort = (): void => kill('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // QEMU may be gone before it reads the config: a write error then is not the run's failure.
  child.stdin!.on('error', () => undefined);
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => parser.feed(chunk));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4096);
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  child.once('spawn', () => {
    qemuStartNs = since(t0);
    state.status = 'running';
    state.qemuPid = child.pid;
    options.onQemuStarted?.(child.pid!, state.id);
    state.qemuStartTicks = readProcessStartTicks(child.pid!);
    void writeVmState(layout, state).catch(() => undefined);
  });
  if (options.signal?.aborted) kill('abort');
  // The config goes out once the guest runs: bytes sent earlier would reach a UART whose state the
  // incoming migration then overwrites.
  const restoring = (async () => {
    const qmp = await connectQmpWhenUp(paths.qmpSocket, RESTORE_TIMEOUT_MS);
    try {
      await restoreOverQmp(qmp, snapshotPaths(layout, meta.id).state);
    } finally {
      qmp.close();
    }
    restoredNs = since(t0);
    child.stdin!.write(configLine);
  })().catch((error: unknown) => {
    restoreError = error instanceof Error ? error : new Error(String(error));
    kill('restore');
  });
  const exit = await closed;
  await restoring;
  const qemuExitNs = since(t0);
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  parser.end();
  const tail = parser.lastLines();
  const stderrText = stderrTail.trim() || 'no QEMU error';

  if (exit.error) throw exit.error;
  if (stopReason === 'abort') throw new IsobenchError('INTERRUPTED', `VM ${state.name} interrupted; QEMU killed`);
  if (stopReason === 'timeout') {
    const where = readyNs === undefined ? 'the guest never got ready' : 'the workload did not finish';
    throw new TimeoutError(
      `VM ${state.name} (restored from snapshot ${meta.id}) timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms: ${where}; QEMU killed. Last serial lines:\n${serialReport(tail)}`,
      { hint: 'raise the timeout' },
    );
  }
  if (restoredNs === undefined) {
    throw new WorkloadError(
      `VM ${state.name}: restoring snapshot ${meta.id} failed: ${restoreError?.message ?? `QEMU exited (code ${exit.code ?? exit.signal})`}: ${stderrText}`,
      { hint: 'take a new snapshot: remove its dir or run `isobench gc`' },
    );
  }
  if (guestError !== undefined) {
    throw new WorkloadError(`VM ${state.name}: the guest init failed: ${guestError}`, {
      hint: 'check the image (user, workdir) and the VM definition',
    });
  }
  if (exitCode === undefined || exitNs === undefined || readyNs === undefined || uptimeAtReadyMs === undefined) {
    throw new WorkloadError(
      `VM ${state.name}: QEMU exited (code ${exit.code ?? exit.signal}) before the restored guest reported an exit code: ${stderrText}. Last serial lines:\n${serialReport(tail)}`,
    );
  }
  return {
    id: state.id,
    exitCode,
    accel: prepared.accel,
    machine: prepared.machine,
    kernelRelease: prepared.kernelRelease,
    phases: { vmRecordNs: host.vmRecordNs, diskOverlayNs: host.diskOverlayNs, qemuStartNs, readyNs, exitNs, qemuExitNs },
    guestUptimeAtReadyMs: uptimeAtReadyMs,
    serialTail: tail,
    qemuPid: child.pid ?? -1,
    snapshotId: meta.id,
    restoredNs,
  };
}
