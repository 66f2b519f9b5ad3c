// The bench scripts' command lines, parsed the way the CLI parses its own (commander with
// src/cli/error-exit.ts): an unknown or malformed option ends the script with one line naming the
// problem and where the usage is, exit status 2, never a stack trace; `--help` prints the usage.
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { configureUsageErrors, reportError } from '../../src/cli/error-exit.js';
import { InputError, IsobenchError } from '../../src/errors.js';

/**
 * A commander program for `npm run <script>`: its usage errors are InputErrors whose hint is
 * `npm run <script> -- --help`. Declare the options, then call parseBenchOptions.
 * @param script - the npm script, e.g. 'bench:harness'.
 */
export function benchProgram(script: string, description: string): Command {
  return configureUsageErrors(new Command(`npm run ${script} --`)).description(description);
}

/** Parses the script's own arguments (process.argv after the script) into the declared options. */
export function parseBenchOptions<T>(program: Command, argv: readonly string[] = process.argv.slice(2)): T {
  program.parse([...argv], { from: 'user' });
  return program.opts<T & Record<string, unknown>>();
}

/** A bad combination of valid options, as the usage error it is. */
export function benchUsageError(script: string, message: string): InputError {
  return new InputError(message, { hint: `see \`npm run ${script} -- --help\`` });
}

/** An option value parser: an integer >= min ("expected an integer >= 1" otherwise). */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isInteger(number) || number < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}`);
    }
    return number;
  };
}

/** An option value parser: a comma-separated list of `choices`, duplicates dropped. */
export function listOf<T extends string>(choices: readonly T[]): (value: string) => T[] {
  return (value) => {
    const parts = value.split(',');
    const unknown = parts.find((part) => !(choices as readonly string[]).includes(part));
    if (unknown !== undefined) throw new InvalidArgumentError(`expected a comma list of ${choices.join(', ')}`);
    return [...new Set(parts as T[])];
  };
}

/** An option value parser: a comma-separated list of integers in [min, max], duplicates dropped. */
export function integerListOf(min: number, max: number): (value: string) => number[] {
  return (value) => {
    const numbers = value.split(',').map(Number);
    if (value.trim() === '' || numbers.some((n) => !Number.isInteger(n) || n < min || n > max)) {
      throw new InvalidArgumentError(`expected a comma list of integers from ${min} to ${max}`);
    }
    return [...new Set(numbers)];
  };
}

/** An option value parser: a number strictly between low and high. */
export function numberBetween(low: number, high: number): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !(number > low && number < high)) {
      throw new InvalidArgumentError(`expected a number between ${low} and ${high}`);
    }
    return number;
  };
}

/** An option value parser: a comma-separated list of at least `min` paths, made absolute. */
export function pathListOf(min: number): (value: string) => string[] {
  return (value) => {
    const paths = value.split(',').filter((part) => part !== '');
    if (paths.length < min) throw new InvalidArgumentError(`expected at least ${min} comma-separated paths`);
    return paths.map((part) => path.resolve(part));
  };
}

/** An option value parser: a directory or file path, made absolute. */
export function absolutePath(value: string): string {
  if (value === '') throw new InvalidArgumentError('expected a path');
  return path.resolve(value);
}

/**
 * Runs a bench script's main. A bad option (or any typed error) ends it with one line and its exit
 * status (2 for bad input), `--help` with 0; anything else is a failure of the benchmark, printed
 * with its stack, exit status 1.
 * @param script - the npm script, e.g. 'bench:harness', which starts each error line.
 */
export function runBench(script: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof IsobenchError || error instanceof CommanderError) {
      process.exitCode = reportError(error, script);
      return;
    }
    process.stderr.write(
      `${script} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
