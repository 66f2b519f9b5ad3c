// Runs the peer runtimes' CLIs for untimed chores (mount, delete, load), and identifies processes
// across a crash (pid + start time), for the peer targets and their gc.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { readProcText } from '../measure/proc-files.js';

/** What a finished tool run printed. */
export interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link runTool}. */
export interface ToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; default 120 s. */
  timeoutMs?: number;
  /** Stdin content, if any. */
  input?: string;
}

/**
 * Runs `file args` to completion and returns its exit code and output; never throws for a
 * non-zero exit (the caller decides). Rejects only when the program cannot be started (ENOENT).
 */
export function runTool(file: string, args: string[], options: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 120_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (typeof code === 'string') {
          reject(error);
          return;
        }
        const exitCode = error === null ? 0 : typeof code === 'number' ? code : 128;
        resolve({ exitCode, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** "file args" for messages. */
export function describeCommand(file: string, args: string[]): string {
  return [path.basename(file), ...args].join(' ');
}

/** A process named by pid and its start time (clock ticks since boot), so a reused pid never matches. */
export interface ProcessIdentity {
  pid: number;
  startTicks: number;
}

/** Start time (field 22 of /proc/<pid>/stat, proc(5)), or undefined when the process is gone. */
export function readStartTicks(pid: number, procRoot = '/proc'): number | undefined {
  const text = readProcText(path.join(procRoot, String(pid), 'stat'));
  if (text === undefined) return undefined;
  // Fields after "comm)": state is field 3, so starttime (22) is index 19 here.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

/** This process's identity. */
export function selfIdentity(): ProcessIdentity {
  return identityOf(process.pid) ?? { pid: process.pid, startTicks: -1 };
}

/** The identity of a live pid, or undefined when it is gone. */
export function identityOf(pid: number): ProcessIdentity | undefined {
  const startTicks = readStartTicks(pid);
  return startTicks === undefined ? undefined : { pid, startTicks };
}

/** Whether that very process still runs (same pid and start time; a zombie counts as gone). */
export function isAlive(identity: ProcessIdentity): boolean {
  const text = readProcText(path.join('/proc', String(identity.pid), 'stat'));
  if (text === undefined) return false;
  const state = text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
  return state !== 'Z' && readStartTicks(identity.pid) === identity.startTicks;
}
