// Commands that act on several containers or VMs by name (stop, kill, rm, ...) report each one and
// go on after a failure, as docker does.
import { EXIT_STATUS, IsobenchError } from '../errors.js';
import type { CliContext } from './context.js';
import { formatErrorLine } from './error-exit.js';

/**
 * Applies `act` to every name, printing the name on success and the error (with its hint) on
 * failure without stopping at the first one. Returns 0, or the exit status of the first error.
 */
export async function forEachName(ctx: CliContext, names: string[], act: (name: string) => Promise<void>) {
  let status = 0;
  for (const name of names) {
    try {
      await act(name);
      ctx.stdout.write(`${name}\n`);
    } catch (error) {
      if (!(error instanceof IsobenchError)) throw error;
      ctx.stderr.write(formatErrorLine(error));
      if (status === 0) status = EXIT_STATUS[error.code];
    }
  }
  return status;
}
