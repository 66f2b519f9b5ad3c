// One CLI invocation from argv to exit status: build the program, parse and run the command, and
// map whatever it throws to one line on stderr and an exit status (error-exit.ts). main.ts runs
// it on process.argv; tests run it in-process on their own argv.
import { reportError } from './error-exit.js';
import { buildProgram } from './program.js';

/** Runs `argv` (['node', 'isobench', ...args]) and returns the exit status. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    process.exitCode = undefined;
    const program = await buildProgram(argv);
    await program.parseAsync(argv as string[]);
    return Number(process.exitCode ?? 0);
  } catch (error) {
    return reportError(error);
  }
}
