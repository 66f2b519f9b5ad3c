// Runs one more process inside a running container through the helper's `exec` subcommand
// (setns into its namespaces, join its cgroups, same caps/ids as the workload).
import type { Readable } from 'node:stream';
import { startHelper, writeHelperConfig } from './helper-process.js';
import { type ExecProcess, serializeExecConfig } from './helper-protocol.js';

/** How an exec'd process ended; stdout/stderr are filled only for stdio 'pipe' (UTF-8). */
export interface ExecResult {
  /** Code or 128+signal. */
  exitCode: number;
  /** e.g. "SIGKILL" when killed by a signal. */
  signal?: string;
  stdout?: string;
  stderr?: string;
}

function collect(stream: Readable | null): Promise<string> {
  if (!stream) return Promise.resolve('');
  stream.setEncoding('utf8');
  let text = '';
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  return new Promise((resolve) => stream.on('close', () => resolve(text)));
}

/**
 * Execs `proc` in the container whose init is host pid `target.pid`, waits for it and returns how
 * it ended. Rejects with WorkloadExecError (127/126) when the command cannot be exec'd, HelperError
 * for a setup failure. Precondition: root; the container is running; configFile's dir exists.
 */
export async function execInContainer(
  target: { pid: number; cgroupProcsFiles: string[] },
  proc: ExecProcess,
  stdio: 'inherit' | 'pipe',
  configFile: string,
  interactive: { stdin?: 'inherit' | 'ignore'; tty?: boolean } = {},
): Promise<ExecResult> {
  const tty = interactive.tty === true;
  await writeHelperConfig(configFile, serializeExecConfig(target, proc, { parentPid: process.pid, tty }));
  // Without -i, stdin stays the caller's as before for 'inherit' (the pty alone reads nothing from it).
  const stdin = interactive.stdin ?? (stdio === 'pipe' || tty ? 'ignore' : 'inherit');
  const run = startHelper('exec', configFile, [stdin, stdio, stdio]);
  const output = stdio === 'pipe' ? Promise.all([collect(run.child.stdout), collect(run.child.stderr)]) : undefined;
  await run.started;
  const end = await run.finished;
  const result: ExecResult = { exitCode: end.exitCode };
  if (end.signal) result.signal = end.signal;
  if (output) [result.stdout, result.stderr] = await output;
  return result;
}
