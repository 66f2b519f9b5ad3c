// How errors end the CLI, in one place: commander's own usage errors (unknown command or option,
// missing argument, bad choice), and isobench's typed errors mapped to exit statuses (src/errors.ts).
import type { Command } from 'commander';
import { EXIT_STATUS, IsobenchError } from '../errors.js';

/**
 * Sets how commander reports a usage error: its message, then the help (and commander's exit
 * status). Applied to the program before any command is added, so every command inherits it.
 */
export function configureUsageErrors(program: Command): Command {
  return program.showHelpAfterError();
}

/** Prints a typed error as `isobench: message` plus its hint, and returns the exit status. */
export function reportError(error: unknown): number {
  if (error instanceof IsobenchError) {
    process.stderr.write(`isobench: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    if (process.env.ISOBENCH_DEBUG && error.cause) process.stderr.write(`  cause: ${String(error.cause)}\n`);
    return EXIT_STATUS[error.code];
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `isobench: internal error: ${text}\n  hint: this is a bug in isobench; please report it with the command you ran\n`,
  );
  return EXIT_STATUS.INTERNAL;
}
