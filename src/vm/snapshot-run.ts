// Runs one VM attached from a snapshot (snapshot.ts) instead of a boot: QEMU starts with the same
// device set waiting for an incoming migration, loads the saved device state, maps the saved RAM
// privately, and resumes the guest where it waits; the host then sends this run's config (fresh
// nonce, hostname = VM id, command) on the console. Each run has its own qcow2 overlay on the
// snapshot's disk and its own VM record, removed however the run ends (as runVm's).
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { InputError, TimeoutError, WorkloadError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { readProcessStartTicks } from '../util/process.js';
import { loadVmDefinition } from './definition.js';
import { encodeGuestConfigLine } from './guest-config.js';
import { createOverlayDisk } from './overlay-disk.js';
import { type PreparedVm, prepareVm, validateLaunchOptions } from './prepare.js';
import { newVmState } from './prepared-launch.js';
import { buildQemuArgs } from './qemu-args.js';
import type { QmpClient } from './qmp.js';
import { type RunVmOptions, superviseQemu, type VmRunResult } from './run-vm.js';
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
  let restoredNs: number | undefined;
  const run = await superviseQemu(layout, state, options, host.t0, {
    args: restoreArgs(prepared, meta, paths, snapshotPaths(layout, meta.id).ram),
    nonce,
    what: `(restored from snapshot ${meta.id})`,
    timeoutHint: 'raise the timeout',
    // The config goes out once the guest runs: bytes sent earlier would reach a UART whose state
    // the incoming migration then overwrites.
    afterSpawn: {
      run: async (child) => {
        const qmp = await connectQmpWhenUp(paths.qmpSocket, RESTORE_TIMEOUT_MS);
        try {
          await restoreOverQmp(qmp, snapshotPaths(layout, meta.id).state);
        } finally {
          qmp.close();
        }
        restoredNs = Number(process.hrtime.bigint() - host.t0);
        child.stdin!.write(configLine);
      },
      failed: (error, qemuExit, stderrText) =>
        new WorkloadError(
          `VM ${state.name}: restoring snapshot ${meta.id} failed: ${error?.message ?? qemuExit}: ${stderrText}`,
          { hint: 'take a new snapshot: remove its dir or run `isobench gc`' },
        ),
    },
  });
  return {
    id: state.id,
    exitCode: run.exitCode,
    accel: prepared.accel,
    machine: prepared.machine,
    kernelRelease: prepared.kernelRelease,
    // No kernel or init phase: the guest's uptime runs on from the boot that took the snapshot.
    phases: {
      vmRecordNs: host.vmRecordNs,
      diskOverlayNs: host.diskOverlayNs,
      qemuStartNs: run.qemuStartNs,
      readyNs: run.readyNs,
      exitNs: run.exitNs,
      qemuExitNs: run.qemuExitNs,
    },
    guestUptimeAtReadyMs: run.uptimeAtReadyMs,
    serialTail: run.serialTail,
    qemuPid: run.qemuPid,
    snapshotId: meta.id,
    restoredNs: restoredNs!,
  };
}
