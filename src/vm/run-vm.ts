// Runs one VM attached: boots the image, streams the workload's output, times the boot phases
// on the host clock, and removes the VM's overlay, socket and state however the run ends.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { IsobenchError, TimeoutError, WorkloadError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { readProcessStartTicks } from '../util/process.js';
import type { Accel } from '../vocabulary.js';
import type { VmMachine } from './definition.js';
import { spawnAttachedQemu } from './launch-qemu.js';
import { createOverlayDisk } from './overlay-disk.js';
import { type PreparedVm, prepareVm, type VmLaunchOptions } from './prepare.js';
import { buildPreparedQemuArgs, newVmState } from './prepared-launch.js';
import { SerialParser } from './serial-parser.js';
import { assertVmNameFree, createVmRecord } from './vm-reserve.js';
import { newVmId, type VmState, vmPaths, writeVmState } from './vm-state.js';

/** Options of {@link runVm}. */
export interface RunVmOptions extends VmLaunchOptions {
  /** Kill the VM after this many ms (boot + workload); default 600 000. */
  timeoutMs?: number;
  /** Receives the workload's output (serial console between the ready and exit markers). */
  stdout?: (chunk: string) => void;
  signal?: AbortSignal;
  /** Keep the VM dir (state, overlay) after exit, for `vm ps -a` / `vm rm`; default false. */
  keep?: boolean;
  /** Called once QEMU runs, with its pid and the VM id (the harness samples QEMU's memory while it runs). */
  onQemuStarted?: (pid: number, vmId: string) => void;
  /** Called when the ready marker (printed right before the workload is exec'd) reaches the host. */
  onReady?: () => void;
}

/** Host-monotonic phase times, ns since the launch of the prepared VM (runPreparedVm's start). */
export interface VmPhases {
  /** The VM's dir and first state file written (under the `vms` lock, with the name check). */
  vmRecordNs: number;
  /** The per-VM qcow2 overlay over the base disk created (`qemu-img create`). */
  diskOverlayNs: number;
  /** QEMU process created. */
  qemuStartNs: number;
  /** Estimated moment the guest clock started (readyNs minus the guest's uptime at ready). */
  kernelNs?: number;
  /** /init's first marker reached the host. */
  initNs?: number;
  /** The ready marker (printed right before the workload is exec'd) reached the host. */
  readyNs: number;
  /** The guest's exit marker (printed once the workload has exited) reached the host: its exit status is known. */
  exitNs: number;
  /** QEMU exited, after the guest's sync and power-off: teardown, not start-up. */
  qemuExitNs: number;
}

export interface VmRunResult {
  id: string;
  exitCode: number;
  accel: Accel;
  machine: VmMachine;
  kernelRelease: string;
  phases: VmPhases;
  /** Guest uptime when /init printed ready, in ms (10 ms resolution). */
  guestUptimeAtReadyMs: number;
  guestUptimeAtInitMs?: number;
  /** Last serial lines (kernel noise included), for diagnostics. */
  serialTail: string[];
  qemuPid: number;
}

const DEFAULT_TIMEOUT_MS = 600_000;

function serialReport(lines: string[]): string {
  return lines.length === 0 ? '(no serial output)' : lines.map((line) => `  | ${line}`).join('\n');
}

/**
 * Boots `options.image` in a fresh VM and waits for its workload to finish.
 * Throws TimeoutError (with the serial tail) when the run outlives `timeoutMs`, WorkloadError when
 * the guest fails before running the workload, IsobenchError INTERRUPTED on `signal`, ConflictError
 * when `options.name` is taken. QEMU is gone when this settles, on every path.
 */
export async function runVm(layout: RootLayout, options: RunVmOptions): Promise<VmRunResult> {
  options.signal?.throwIfAborted();
  // Early and cheap, before the kernel and disk are prepared; createVmRecord decides under the lock.
  if (options.name !== undefined) await assertVmNameFree(layout, options.name);
  return runPreparedVm(layout, await prepareVm(layout, options), options);
}

/** ns on the host's monotonic clock since `t0`. */
const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0);

/**
 * runVm from a PreparedVm (prepareVm's, or forLaunch of a cached one): nothing of the preparation
 * is redone. The host work every launch needs is timed as phases (vmRecordNs, diskOverlayNs).
 * Throws as runVm does; QEMU is gone when this settles.
 */
export async function runPreparedVm(
  layout: RootLayout,
  prepared: PreparedVm,
  options: RunVmOptions,
): Promise<VmRunResult> {
  options.signal?.throwIfAborted();
  const t0 = process.hrtime.bigint();
  const id = newVmId();
  const paths = vmPaths(layout, id);
  const state: VmState = {
    ...newVmState(prepared, id, options.name, 'attached', options.keep !== true),
    ownerPid: process.pid,
    ownerStartTicks: readProcessStartTicks(process.pid),
  };
  await createVmRecord(layout, state);
  const vmRecordNs = since(t0);
  try {
    await createOverlayDisk(prepared.baseDiskPath, paths.overlay);
    const diskOverlayNs = since(t0);
    const result = await superviseAttached(layout, state, prepared, options, { t0, vmRecordNs, diskOverlayNs });
    state.status = 'exited';
    state.exitCode = result.exitCode;
    return result;
  } finally {
    state.status = 'exited';
    if (state.autoRemove) await fs.rm(paths.dir, { recursive: true, force: true });
    else await writeVmState(layout, state).catch(() => undefined);
  }
}

/**
 * What a launch path adds to the supervision every attached QEMU gets: runPreparedVm's boot and
 * snapshot-run's restore differ only in their argv, how they name the VM in errors, and work done
 * once QEMU runs (the restore loads the saved state, then sends the config on QEMU's stdin).
 */
export interface QemuSupervision {
  args: string[];
  nonce: string;
  /** Follows the VM's name in errors, e.g. "(accel=tcg)". */
  what: string;
  timeoutHint: string;
  afterSpawn?: {
    /** Runs once QEMU is spawned, with a pipe on its stdin; a rejection or QEMU's end before it settles kills QEMU. */
    run: (child: ChildProcess) => Promise<void>;
    /** The error to throw when `run` did not complete (`error` undefined: QEMU ended first). */
    failed: (error: Error | undefined, qemuExit: string, stderrText: string) => Error;
  };
}

/** What the host saw of one attached QEMU, ns since the caller's t0. */
export interface SupervisedQemu {
  exitCode: number;
  qemuStartNs: number;
  initNs?: number;
  readyNs: number;
  exitNs: number;
  qemuExitNs: number;
  uptimeAtInitMs?: number;
  uptimeAtReadyMs: number;
  serialTail: string[];
  qemuPid: number;
}

/**
 * Runs QEMU attached until it exits: stamps init, ready and the guest's exit marker as they arrive
 * on the serial console, QEMU's start and exit, and kills it on timeout or abort. Throws
 * TimeoutError, INTERRUPTED, WorkloadError (guest init failed, no exit marker) or `afterSpawn`'s error.
 */
export async function superviseQemu(
  layout: RootLayout,
  state: VmState,
  options: RunVmOptions,
  t0: bigint,
  how: QemuSupervision,
): Promise<SupervisedQemu> {
  let exitCode: number | undefined;
  let exitNs: number | undefined;
  let guestError: string | undefined;
  let initNs: number | undefined;
  let readyNs: number | undefined;
  let uptimeAtInitMs: number | undefined;
  let uptimeAtReadyMs: number | undefined;
  let stderrTail = '';

  const parser = new SerialParser(how.nonce, {
    onPhase: (phase) => {
      if (phase.name === 'init') {
        initNs = since(t0);
        uptimeAtInitMs = phase.guestUptimeMs;
      } else if (phase.name === 'ready') {
        readyNs = since(t0);
        uptimeAtReadyMs = phase.guestUptimeMs;
        options.onReady?.();
      }
    },
    onOutput: (text) => options.stdout?.(text),
    // The parser runs in the stdout 'data' handler: this is the marker's arrival on the host.
    onExit: (code) => {
      exitNs = since(t0);
      exitCode = code;
    },
    onError: (message) => {
      guestError = message;
    },
  });
  // ISOBENCH_VM_DEBUG=1 shows the QEMU command line (for reproducing a boot by hand).
  if (process.env.ISOBENCH_VM_DEBUG === '1') process.stderr.write(`isobench: qemu ${JSON.stringify(how.args)}\n`);
  const child = await spawnAttachedQemu(how.args, how.afterSpawn ? 'pipe' : 'ignore');
  let qemuStartNs = 0;
  let stopReason: 'timeout' | 'abort' | 'afterSpawn' | undefined;
  const kill = (reason: 'timeout' | 'abort' | 'afterSpawn'): void => {
    stopReason ??= reason;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => kill('timeout'), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const onAbort = (): void => kill('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // QEMU may be gone before it reads its stdin: a write error then is not the run's failure.
  child.stdin?.on('error', () => undefined);
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
    // While the guest boots, so no fsync: a QEMU pid is void after a power cut anyway.
    void writeVmState(layout, state, { durable: false }).catch(() => undefined);
  });
  if (options.signal?.aborted) kill('abort');
  let afterSpawnDone = how.afterSpawn === undefined;
  let afterSpawnError: Error | undefined;
  const afterSpawn = how.afterSpawn?.run(child).then(
    () => {
      afterSpawnDone = true;
    },
    (error: unknown) => {
      afterSpawnError = error instanceof Error ? error : new Error(String(error));
      kill('afterSpawn');
    },
  );
  const exit = await closed;
  await afterSpawn;
  const qemuExitNs = since(t0);
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  parser.end();
  const tail = parser.lastLines();
  const stderrText = stderrTail.trim() || 'no QEMU error';

  if (exit.error) throw exit.error;
  if (stopReason === 'abort') {
    throw new IsobenchError('INTERRUPTED', `VM ${state.name} interrupted; QEMU killed`);
  }
  if (stopReason === 'timeout') {
    const where = readyNs === undefined ? 'the guest never got ready' : 'the workload did not finish';
    throw new TimeoutError(
      `VM ${state.name} ${how.what} timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms: ${where}; QEMU killed. Last serial lines:\n${serialReport(tail)}`,
      { hint: how.timeoutHint },
    );
  }
  if (!afterSpawnDone && how.afterSpawn) {
    throw how.afterSpawn.failed(afterSpawnError, `QEMU exited (code ${exit.code ?? exit.signal})`, stderrText);
  }
  if (guestError !== undefined) {
    throw new WorkloadError(`VM ${state.name}: the guest init failed: ${guestError}`, {
      hint: 'check the image (user, workdir) and the VM definition',
    });
  }
  if (exitCode === undefined || exitNs === undefined || readyNs === undefined || uptimeAtReadyMs === undefined) {
    throw new WorkloadError(
      `VM ${state.name}: QEMU exited (code ${exit.code ?? exit.signal}) before the guest reported an exit code: ${stderrText}. Last serial lines:\n${serialReport(tail)}`,
    );
  }
  return {
    exitCode,
    qemuStartNs,
    initNs,
    readyNs,
    exitNs,
    qemuExitNs,
    uptimeAtInitMs,
    uptimeAtReadyMs,
    serialTail: tail,
    qemuPid: child.pid ?? -1,
  };
}

async function superviseAttached(
  layout: RootLayout,
  state: VmState,
  prepared: PreparedVm,
  options: RunVmOptions,
  host: { t0: bigint; vmRecordNs: number; diskOverlayNs: number },
): Promise<VmRunResult> {
  const paths = vmPaths(layout, state.id);
  const nonce = randomBytes(8).toString('hex');
  const args = buildPreparedQemuArgs(prepared, paths, { nonce, hostname: state.name, serial: { kind: 'stdio' } });
  const run = await superviseQemu(layout, state, options, host.t0, {
    args,
    nonce,
    what: `(accel=${prepared.accel})`,
    timeoutHint: 'raise the timeout; under TCG a boot takes seconds',
  });
  return {
    id: state.id,
    exitCode: run.exitCode,
    accel: prepared.accel,
    machine: prepared.machine,
    kernelRelease: prepared.kernelRelease,
    phases: {
      vmRecordNs: host.vmRecordNs,
      diskOverlayNs: host.diskOverlayNs,
      qemuStartNs: run.qemuStartNs,
      kernelNs: run.readyNs - run.uptimeAtReadyMs * 1e6,
      initNs: run.initNs,
      readyNs: run.readyNs,
      exitNs: run.exitNs,
      qemuExitNs: run.qemuExitNs,
    },
    guestUptimeAtReadyMs: run.uptimeAtReadyMs,
    guestUptimeAtInitMs: run.uptimeAtInitMs,
    serialTail: run.serialTail,
    qemuPid: run.qemuPid,
  };
}
