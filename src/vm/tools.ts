// Runs the host tools the VM target depends on (qemu, qemu-img, apt, dpkg-deb, xz, mke2fs,
// e2fsck, unshare, setpriv) and turns "not installed" into an EnvironmentError naming the set-up.
import { execa } from 'execa';
import { EnvironmentError } from '../errors.js';

/** The command that installs everything the VM target needs. */
export const SETUP_HINT = 'install the VM tools with the set-up command: bash scripts/setup.sh';

export interface ToolResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Options for {@link runTool}. */
export interface RunToolOptions {
  /** Bytes or text fed to stdin; default none (/dev/null). */
  input?: string | Uint8Array;
  /** Throw on a non-zero exit (default true). */
  check?: boolean;
  /** Give up (and kill the tool) after this many ms. */
  timeoutMs?: number;
  cwd?: string;
}

/**
 * Runs `file args` without a shell. A missing binary becomes EnvironmentError with the set-up hint;
 * a non-zero exit (when `check`) becomes an Error carrying the tool's stderr.
 */
export async function runTool(file: string, args: string[], options: RunToolOptions = {}): Promise<ToolResult> {
  try {
    const result = await execa(file, args, {
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : undefined,
      reject: false,
      timeout: options.timeoutMs,
      cwd: options.cwd,
      stripFinalNewline: false,
      encoding: 'utf8',
    });
    if (result.failed && result.exitCode === undefined) {
      const cause = (result as { cause?: unknown }).cause;
      if ((cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw missingTool(file);
      throw new Error(`${file} failed to run: ${result.message}`, { cause });
    }
    const exitCode = result.exitCode ?? 1;
    if (options.check !== false && exitCode !== 0) {
      throw new Error(`${file} ${args.join(' ')} exited with ${exitCode}: ${String(result.stderr).trim()}`);
    }
    return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingTool(file);
    throw error;
  }
}

/** The EnvironmentError for a host tool that is not installed. */
export function missingTool(file: string): EnvironmentError {
  return new EnvironmentError(`${file} not found: the VM target needs it`, { hint: SETUP_HINT });
}
