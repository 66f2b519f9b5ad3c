// How errors end the CLI, in one place: commander's own usage errors (unknown command or option,
// missing argument, bad choice) become one line and exit 2 (EXIT_STATUS.INPUT), never the whole
// help; isobench's typed errors are printed as one line and mapped to exit statuses
// (src/errors.ts); file system errors the host causes (a read-only or full disk) are named as such.
import { type Command, CommanderError } from 'commander';
import { EnvironmentError, EXIT_STATUS, InputError, IsobenchError } from '../errors.js';

/**
 * Makes every usage error of `program` and of the commands added to it later (commander copies
 * these settings to subcommands) throw an InputError naming the command, the problem and where
 * its help is, instead of printing commander's message and help and exiting 1. `--help` and
 * `--version` still print and throw a CommanderError with exit code 0.
 */
export function configureUsageErrors(program: Command): Command {
  return program
    .exitOverride(function (this: Command, error: CommanderError): never {
      if (error.exitCode === 0) throw error;
      throw usageError(this, error);
    })
    .configureOutput({
      // The message goes into the InputError; the help commander prints when a group is given no
      // command (the only other thing it writes to stderr) is replaced by one line too.
      outputError: () => {},
      writeErr: () => {},
    });
}

/** 'vm run' for the vm run command, '' for the program itself. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The long flag of an option's flags: '--format' of '-f, --format <format>'. */
function longFlag(flags: string): string {
  return flags.split(/[ ,|]+/).find((f) => f.startsWith('--')) ?? flags.split(/[ ,|]+/)[0]!;
}

/** Commander's message, reworded in this CLI's style and on one line. */
function usageMessage(command: Command, error: CommanderError): string {
  if (error.code === 'commander.help') {
    return `expected a command: ${command.commands.map((c) => c.name()).join(', ')}`;
  }
  const text = error.message.replace(/^error: /, '').trim();
  const choice = /^option '(.+?)' argument '(.*)' is invalid\. Allowed choices are (.*)\.$/s.exec(text);
  if (choice) return `expected ${longFlag(choice[1]!)} to be one of ${choice[3]}, got '${choice[2]}'`;
  // A value parser's InvalidArgumentError ('expected an integer >= 1'), as "expected X, got Y".
  const invalid = /^option '(.+?)' argument '(.*)' is invalid\. (expected .*)$/s.exec(text);
  if (invalid) return `${longFlag(invalid[1]!)}: ${invalid[3]!.replace(/\.$/, '')}, got '${invalid[2]}'`;
  const excess = /^too many arguments(?: for '.*?')?\. Expected (\d+) arguments? but got (\d+)\.?$/.exec(text);
  if (excess) return `too many arguments: expected at most ${excess[1]}, got ${excess[2]}`;
  return text
    .replace(/\n\(Did you mean (.+?)\?\)$/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\.$/, '');
}

function usageError(command: Command, error: CommanderError): InputError {
  const where = commandPath(command);
  let root = command;
  while (root.parent) root = root.parent;
  // The root's name is how the program is invoked: 'isobench', or 'npm run bench:vm --' (bench/lib/options.ts).
  const help = `${root.name()} ${where ? `${where} ` : ''}--help`;
  return new InputError(`${where ? `${where}: ` : ''}${usageMessage(command, error)}`, {
    hint: `see \`${help}\``,
    cause: error,
  });
}

/** Errno codes that say the host, not isobench, refused a file operation, with their wording. */
const HOST_ERRNOS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
};

/** A Node file system error the host caused (read-only, full, not permitted), as an EnvironmentError. */
function hostFileError(error: unknown): EnvironmentError | undefined {
  const { code, syscall, path } = (error ?? {}) as NodeJS.ErrnoException;
  if (code === undefined || !(code in HOST_ERRNOS) || path === undefined) return undefined;
  return new EnvironmentError(`cannot ${syscall ?? 'write'} ${path}: ${HOST_ERRNOS[code]} (${code})`, {
    hint: 'give --root (or ISOBENCH_ROOT) a writable directory on a file system with free space, or run as root',
    cause: error,
  });
}

/** An error as the one line the CLI prints: `isobench: MESSAGE; HINT` (`program` replaces `isobench`). */
export function formatErrorLine(error: IsobenchError, program = 'isobench'): string {
  const message = error.message.replace(/\s*\n\s*/g, ' ');
  return `${program}: ${message}${error.hint ? `; ${error.hint}` : ''}\n`;
}

/**
 * Prints an error as one line on stderr and returns the exit status: a typed error's status, 0
 * after `--help` or `--version`, ENVIRONMENT for a file system error the host caused, INTERNAL
 * (a bug) for anything else. ISOBENCH_DEBUG=1 adds the cause and the stack.
 * @param program - the name the line starts with: 'isobench', or a bench script's.
 */
export function reportError(error: unknown, program = 'isobench'): number {
  if (error instanceof CommanderError && error.exitCode === 0) return 0;
  const typed = error instanceof IsobenchError ? error : hostFileError(error);
  const debug = Boolean(process.env.ISOBENCH_DEBUG);
  if (typed) {
    process.stderr.write(formatErrorLine(typed, program));
    if (debug && typed.cause) process.stderr.write(`  cause: ${describe(typed.cause)}\n`);
    return EXIT_STATUS[typed.code];
  }
  process.stderr.write(
    `isobench: internal error: ${error instanceof Error ? error.message : String(error)}; this is a bug in isobench: please report it with the command you ran${debug ? '' : ' and what ISOBENCH_DEBUG=1 prints'}\n`,
  );
  if (debug) process.stderr.write(`${describe(error)}\n`);
  return EXIT_STATUS.INTERNAL;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
