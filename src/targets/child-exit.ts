// How a spawned instance ends: the shell-style exit code, and the ready marker settled at the
// exit (ready = exit without a marker; a WorkloadError when the marker never came).
import type { ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { WorkloadError } from '../errors.js';
import { monotonicNs } from '../measure/clock.js';
import { followStream, type ReadyMarkerReader, tailStream } from './ready-marker.js';
import type { InstanceExit } from './types.js';

/** The shell-style exit code of a child: its code, or 128 + the signal number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : osConstants.signals[signal];
  return number === undefined ? 128 : 128 + number;
}

/**
 * Settles `reader` once the instance has ended at `atNs`: without a marker, ready is the exit;
 * with one, ready fails with `exitDescription` ("the workload exited with code 3") and the stderr tail.
 */
export function settleReadyAtExit(
  reader: ReadyMarkerReader,
  readyMarker: string | undefined,
  atNs: bigint,
  exitDescription: string,
  stderr: string,
): void {
  if (readyMarker === undefined) reader.resolveAt(atNs);
  else {
    reader.fail(
      new WorkloadError(
        `${exitDescription} before printing the ready marker '${readyMarker}'${stderr ? `: ${stderr}` : ''}`,
      ),
    );
  }
}

/**
 * The exit stamp of an instance: when its status reached the host, or when its output was read to
 * its end if that came later. Every target ends the output no later than it reports the status,
 * so the second only guards the event loop's order: the ready line is never read after the exit.
 */
export function exitStampNs(statusAtNs: bigint, outputEndAtNs: bigint): bigint {
  return statusAtNs > outputEndAtNs ? statusAtNs : outputEndAtNs;
}

/**
 * Follows a spawned child's stdout into `reader` and resolves with its exit once stdout has ended
 * too ('exit' gives the moment, waitpid; the lines are complete only at the end of stdout; see
 * exitStampNs). `label` names the child in the error when it exits before the ready marker.
 */
export function followChildExit(
  child: ChildProcess,
  reader: ReadyMarkerReader,
  readyMarker: string | undefined,
  label: string,
): Promise<InstanceExit> {
  const stdoutEnd = followStream(child.stdout!, reader).then(() => monotonicNs());
  const stderrTail = tailStream(child.stderr);
  const exitedAt = new Promise<{ atNs: bigint; code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ atNs: monotonicNs(), code, signal }));
  });
  return Promise.all([exitedAt, stdoutEnd]).then(([{ atNs: statusAtNs, code, signal }, endAtNs]) => {
    const atNs = exitStampNs(statusAtNs, endAtNs);
    const exit: InstanceExit = { exitCode: exitCodeOf(code, signal), atNs };
    settleReadyAtExit(reader, readyMarker, atNs, `${label} exited with code ${exit.exitCode}`, stderrTail());
    return exit;
  });
}
