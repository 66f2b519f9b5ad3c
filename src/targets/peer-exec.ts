// Runs the peer runtimes' CLIs for untimed chores (mount, delete, load), for the peer targets and their gc.
import { execFile } from 'node:child_process';
import path from 'node:path';

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
