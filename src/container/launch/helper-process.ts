// Starts a container: spawns the C helper (`run MODE:NETWORK`), hands it the config on fd 4 and
// follows its status lines on fd 3 until the workload has exec'd, then until it reports the exit.
// One protocol for every caller (the runtime, RUN steps, tests). This is the measured hot path:
// plain child_process.spawn, no extra processes, no polling.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { EnvironmentError, HelperError, InternalError, type IsobenchError } from '../../errors.js';
import { monotonicNs } from '../../measure/clock.js';
import { helperBinary } from '../../paths.js';
import type { ContainerSpec, LaunchedContainer, LaunchMode, LaunchOptions, NetworkMode } from '../types.js';
import {
  errorFromStatus,
  type HelperPhasesNs,
  type HelperStatus,
  parseStatusLine,
  serializeHelperConfig,
  signalName,
} from './helper-protocol.js';

/** What a helper's fd 0-2 are. */
export type StdioSlot = 'inherit' | 'pipe' | 'ignore';

/** How a helper process ended: the workload's exit when the helper reported one, else the helper's own. */
export interface HelperEnd {
  /** Code or 128+signal. */
  exitCode: number;
  signal?: string;
  /** True when this came from the helper's `exit` line (the workload's real status). */
  reported: boolean;
  /**
   * Host monotonic ns (process.hrtime.bigint()) at which this became known: the read of the `exit`
   * line, else the helper's own end.
   */
  atNs: bigint;
}

/** What a helper's `pid` line tells: the workload has exec'd. */
export interface HelperStarted {
  pid: number;
  monitorPid: number;
  /** `run` only (absent from `exec`): absolute monotonic ns, see HelperPhasesNs. */
  phasesNs?: HelperPhasesNs;
}

/** A running helper process and the moments that matter. */
export interface HelperRun {
  child: ChildProcess;
  /** Resolves on `pid N`; rejects (once the helper is gone) on an `error` line or an exit without `pid`. */
  started: Promise<HelperStarted>;
  /**
   * Resolves on the helper's `exit` line (the workload has been reaped), or like `finished` when
   * the helper ends without one. Never rejects. For `run` the helper has let go of the workload's
   * stdio by then, but still holds the container's mount namespace: its mounts go before `finished`.
   */
  reported: Promise<HelperEnd>;
  /** Resolves when the helper has exited and closed fd 3. Never rejects. */
  finished: Promise<HelperEnd>;
}

/** A launched container and the moment its helper is gone. */
export interface LaunchedHelper extends LaunchedContainer {
  /**
   * The helper's launch stamps, absolute CLOCK_MONOTONIC ns (process.hrtime.bigint()'s clock, not
   * ns from launch); absent when the helper sent none (an older helper, or its stamp page failed).
   */
  phasesNs?: HelperPhasesNs;
  /**
   * Resolves once the spawned helper has exited (never rejects). Attached: after the exit report,
   * once the container's mount namespace, with its overlay and every mount in it, is gone (the
   * overlay's unmount syncs the whole upper filesystem: it grows with the host's dirty data). Await
   * it before deleting the container's dirs. Detached: right after the start (the long-lived
   * monitor is another process).
   */
  released: Promise<void>;
}

/**
 * Writes an `exec` config file (mode 0600: it names paths and ids); a failure names the file.
 * Synchronous inside: open+write+close of a few hundred bytes costs tens of microseconds, while
 * fs.promises makes each of them a libuv thread-pool round trip (~0.5 ms on the launch path).
 */
export async function writeHelperConfig(file: string, data: Buffer): Promise<void> {
  try {
    writeFileSync(file, data, { mode: 0o600 });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    throw new HelperError('open', `cannot write the helper config \`${file}\`: ${err.message}`, -(err.errno ?? 0), {
      cause: error,
      hint: 'check that the container state dir exists and is writable',
    });
  }
}

function missingHelper(binary: string, error: NodeJS.ErrnoException): IsobenchError {
  return new EnvironmentError(`container helper \`${binary}\` cannot be run: ${error.code ?? error.message}`, {
    cause: error,
    hint: 'run the set-up command: bash scripts/setup.sh',
  });
}

/**
 * Spawns `isobench-helper <subcommand> <argument>` with fd 3 as the status pipe and follows it.
 * `exec` takes a config file; `run` takes MODE:NETWORK and reads its config from fd 4 (a pipe,
 * child.stdio[4]).
 */
export function startHelper(
  subcommand: 'run' | 'exec',
  argument: string,
  stdio: [StdioSlot, StdioSlot, StdioSlot],
  onWarning?: (message: string) => void,
): HelperRun {
  const binary = helperBinary();
  const child = spawn(binary, [subcommand, argument], {
    stdio: subcommand === 'run' ? [...stdio, 'pipe', 'pipe'] : [...stdio, 'pipe'],
  });
  let pid: number | undefined;
  let monitorPid: number | undefined;
  let phasesNs: HelperPhasesNs | undefined;
  let failure: IsobenchError | undefined;
  let exitLine: Extract<HelperStatus, { kind: 'exit' }> | undefined;
  let resolveReported!: (end: HelperEnd) => void;
  const reported = new Promise<HelperEnd>((resolve) => {
    resolveReported = resolve;
  });
  let resolveStarted!: (value: HelperStarted) => void;
  let rejectStarted!: (error: IsobenchError) => void;
  const started = new Promise<HelperStarted>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  // A caller that only awaits `finished` must not trip an unhandled rejection.
  started.catch(() => {});

  const onLine = (line: string, readAtNs: bigint): void => {
    const status = parseStatusLine(line);
    if (!status) return;
    if (status.kind === 'monitor') monitorPid = status.pid;
    else if (status.kind === 'stamps') phasesNs = status.phasesNs;
    else if (status.kind === 'warn') onWarning?.(status.message);
    else if (status.kind === 'error') failure ??= errorFromStatus(status);
    else if (status.kind === 'exit') {
      exitLine = status;
      // The workload is reaped: its exit is known now, before the helper's teardown and exit.
      resolveReported({
        exitCode: status.exitCode,
        signal: signalName(status.signal),
        reported: true,
        atNs: readAtNs,
      });
    } else if (status.kind === 'pid' && pid === undefined) {
      pid = status.pid;
      const started: HelperStarted = { pid, monitorPid: monitorPid ?? child.pid ?? 0 };
      // The `stamps` line, when sent, came in the same write() just before this one.
      if (phasesNs) started.phasesNs = phasesNs;
      resolveStarted(started);
    }
  };

  const statusEnded = new Promise<void>((resolve) => {
    const stream = child.stdio[3] as Readable;
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      // Stamped first thing: the `exit` line's arrival is the moment the host learns the status.
      const readAtNs = monotonicNs();
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        onLine(pending.slice(0, newline), readAtNs);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    });
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', resolve);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atNs: bigint }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, atNs: monotonicNs() }));
    child.on('error', (error: NodeJS.ErrnoException) => {
      // spawn failed (ENOENT, EACCES): no process, no 'exit' event.
      failure ??= missingHelper(binary, error);
      resolve({ code: null, signal: null, atNs: monotonicNs() });
    });
  });

  const finished = Promise.all([exited, statusEnded]).then(([{ code, signal, atNs }]): HelperEnd => {
    if (pid === undefined) {
      rejectStarted(
        failure ??
          new HelperError(
            subcommand,
            `container helper exited (${signal ?? `code ${code}`}) before starting the workload`,
          ),
      );
    }
    if (exitLine) return { exitCode: exitLine.exitCode, signal: signalName(exitLine.signal), reported: true, atNs };
    // Killed without reporting (e.g. SIGKILL): PDEATHSIG took the workload down with it.
    if (signal) return { exitCode: 128 + (osConstants.signals[signal] ?? 0), signal, reported: false, atNs };
    return { exitCode: code ?? 125, reported: false, atNs };
  });
  // No `exit` line (killed, setup failure): the helper's own end is all there is.
  finished.then(resolveReported);
  return { child, started, reported, finished };
}

/** The `run` argument: MODE:NETWORK, and `:tty` when the child needs the pty socket (-t). */
function runHints(mode: { kind: 'attached' | 'detached'; tty?: boolean }, network: NetworkMode): string {
  return `${mode.kind}:${network}${mode.kind === 'attached' && mode.tty ? ':tty' : ''}`;
}

/** spawn stdio for fds 0-2 per launch mode; detached helpers get nothing (the workload writes to log files). */
function stdioFor(mode: LaunchMode): [StdioSlot, StdioSlot, StdioSlot] {
  if (mode.kind === 'detached') return ['ignore', 'ignore', 'ignore'];
  const stdin = mode.stdin ?? 'ignore';
  return [stdin, mode.stdio, mode.stdio];
}

/** What a helper run's handles become once the workload has exec'd; attached, `exited` is the exit report. */
async function followLaunch(run: HelperRun, mode: LaunchMode): Promise<LaunchedHelper> {
  const { pid, monitorPid, phasesNs } = await run.started;
  const released = run.finished.then(() => undefined);
  const stamps = phasesNs ? { phasesNs } : {};
  if (mode.kind === 'detached') {
    await run.finished;
    return { pid, monitorPid, released, ...stamps };
  }
  const launched: LaunchedHelper = {
    pid,
    monitorPid,
    exited: run.reported.then(({ exitCode, signal, atNs }) =>
      signal ? { exitCode, signal, atNs } : { exitCode, atNs },
    ),
    released,
    ...stamps,
  };
  if (mode.stdio === 'pipe') {
    launched.stdout = run.child.stdout!;
    launched.stderr = run.child.stderr!;
  }
  return launched;
}

/** A helper spawned before its container is ready; see spawnLaunch. */
export interface PendingLaunch {
  /**
   * Hands the helper its config and follows it like launchContainer (same errors).
   * Precondition: options.mode matches what was given to spawnLaunch (kind, and stdio for attached).
   */
  launch(spec: ContainerSpec, options: LaunchOptions): Promise<LaunchedHelper>;
  /** Ends a helper that will not launch (the config never comes); resolves once it has exited. */
  abandon(): Promise<void>;
}

/**
 * Spawns the helper for a container that is not ready yet: it forks, execs and clones the child
 * into its namespaces while the caller makes the container's dirs, record and cgroup, so that
 * work overlaps instead of adding up. NOTE: the workload cannot start before launch(): the child
 * waits for the config, then joins its cgroups first. Exactly one of launch() or abandon() must
 * follow (a helper whose caller dies gets EOF on fd 4 and exits). `mode` needs only its kind and,
 * attached, its stdio; the rest comes with launch().
 */
export function spawnLaunch(
  mode: Pick<Extract<LaunchMode, { kind: 'attached' }>, 'kind' | 'stdio' | 'stdin' | 'tty'> | { kind: 'detached' },
  network: NetworkMode,
  onWarning?: (message: string) => void,
): PendingLaunch {
  const slots: [StdioSlot, StdioSlot, StdioSlot] =
    mode.kind === 'detached' ? ['ignore', 'ignore', 'ignore'] : [mode.stdin ?? 'ignore', mode.stdio, mode.stdio];
  const run = startHelper('run', runHints(mode, network), slots, onWarning);
  const config = run.child.stdio[4] as Writable;
  // EPIPE when the helper died early: its exit (and error line) reports why.
  config.on('error', () => undefined);
  let used = false;
  const use = () => {
    if (used) throw new InternalError('a pending launch was used twice');
    used = true;
  };
  return {
    launch(spec, options) {
      use();
      const given = stdioFor(options.mode);
      const ttyDiffers = runHints(options.mode, network) !== runHints(mode, network);
      if (options.mode.kind !== mode.kind || ttyDiffers || given.some((slot, i) => slot !== slots[i])) {
        config.end();
        throw new InternalError(`spawnLaunch(${mode.kind}) launched with another mode or stdio`);
      }
      config.end(serializeHelperConfig(spec, options, { parentPid: process.pid }));
      return followLaunch(run, options.mode);
    },
    async abandon() {
      use();
      config.end();
      await run.finished;
    },
  };
}

/**
 * Launches a container whose spec has been validated, in one go (spawnLaunch, then its launch).
 * Resolves once the workload has exec'd (attached) or once it has exec'd and the spawned helper
 * has exited, leaving the monitor (detached). Attached, `exited` resolves on the exit report and
 * `released` once the helper is gone with the container's mounts: a caller deletes the
 * container's dirs only after `released` (runEphemeral does).
 * Rejects with WorkloadExecError (exitCode 127/126) when the command cannot be exec'd,
 * HelperError (syscall, errno) for any other setup failure, EnvironmentError when the helper is
 * missing. Precondition: running as root.
 */
export function launchContainer(spec: ContainerSpec, options: LaunchOptions): Promise<LaunchedHelper> {
  const mode = options.mode;
  return spawnLaunch(mode, spec.network, options.onWarning).launch(spec, options);
}
