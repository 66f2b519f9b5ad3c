// The commander program: every command of command-table.ts as a named, described stub; a
// command's file (its arguments, options and action) is loaded only when that command is
// dispatched, or when `help` asks for it. Start-up time is measured: `isobench run` loads run.ts
// and nothing of the other commands.
import { Command, Help } from 'commander';
import { InputError } from '../errors.js';
import { resolveRoot } from '../paths.js';
import { COMMAND_TABLE, type CommandEntry } from './command-table.js';
import { makeCliContext } from './context.js';
import { configureUsageErrors } from './error-exit.js';
import { formatExitCodesText } from './exit-codes.js';
import { checkStateRoot } from './state-root.js';
import { readVersion } from './version.js';

const ENTRY_OF = new WeakMap<Command, CommandEntry>();
const DEFINED = new WeakSet<Command>();

/** Loads a command's file, declares its arguments and options and sets its action (once). */
async function defineCommand(program: Command, command: Command): Promise<void> {
  const entry = ENTRY_OF.get(command);
  if (!entry?.load || DEFINED.has(command)) return;
  DEFINED.add(command);
  const { cli } = await entry.load();
  cli.define(command).action(async (...args: unknown[]) => {
    const { root } = program.opts<{ root?: string }>();
    if (root?.trim() === '') {
      throw new InputError('expected --root to be a directory, got an empty string', {
        hint: 'e.g. --root /var/lib/isobench',
      });
    }
    const ctx = makeCliContext(resolveRoot(root));
    if (cli.stateRoot) await checkStateRoot(ctx.root, cli.stateRoot);
    process.exitCode = await cli.run(ctx, ...(args as never[]));
  });
}

/**
 * `help CMD` (and `GROUP help CMD`) prints a command's help without dispatching to it, so the
 * files of the commands it may name are loaded first. Help is not on a measured path.
 */
async function defineForHelpCommand(program: Command, commands: Command[], argv: readonly string[]): Promise<void> {
  const words: string[] = [];
  for (let i = 2; i < argv.length && words.length < 2; i++) {
    const word = argv[i]!;
    if (word === '--root') i++;
    else if (!word.startsWith('-')) words.push(word);
  }
  const groups = new Set(COMMAND_TABLE.filter((e) => !e.load).map((e) => e.path[0]));
  if (words[0] === 'help' || (groups.has(words[0]!) && words[1] === 'help')) {
    await Promise.all(commands.map((command) => defineCommand(program, command)));
  }
}

/** Builds the program with every command as a stub; call parse(process.argv) on what it returns. */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('isobench')
    .description('Measure what a container saves over a VM and costs over native: startup, memory, disk.')
    .version(readVersion())
    .option('--root <dir>', 'state directory (images, containers, VM artifacts); env ISOBENCH_ROOT', undefined)
    .enablePositionalOptions();
  configureUsageErrors(program);
  program.addHelpText('after', `\nExit codes:\n${formatExitCodesText()}`);
  // The listing shows each command's term from the table: its file need not be loaded for it.
  program.configureHelp({
    subcommandTerm(command: Command): string {
      const entry = ENTRY_OF.get(command);
      if (!entry) return Help.prototype.subcommandTerm.call(this, command);
      return entry.term ? `${command.name()} ${entry.term}` : command.name();
    },
  });
  const parents = new Map<string, Command>([['', program]]);
  const commands: Command[] = [];
  for (const entry of COMMAND_TABLE) {
    const parent = parents.get(entry.path.slice(0, -1).join(' '));
    if (!parent) throw new Error(`command table: ${entry.path.join(' ')} comes before its group`);
    const command = parent.command(entry.path.at(-1)!).description(entry.summary);
    ENTRY_OF.set(command, entry);
    if (entry.load) commands.push(command);
    else parents.set(entry.path.join(' '), command);
  }
  for (const parent of parents.values()) {
    parent.hook('preSubcommand', (_parent, command) => defineCommand(program, command));
  }
  await defineForHelpCommand(program, commands, argv);
  return program;
}

/** Every command stub of `program` with its table entry (for tests of the table). */
export function listCommands(program: Command): Array<{ command: Command; entry: CommandEntry }> {
  const all: Array<{ command: Command; entry: CommandEntry }> = [];
  const visit = (command: Command) => {
    for (const sub of command.commands) {
      const entry = ENTRY_OF.get(sub);
      if (entry) all.push({ command: sub, entry });
      visit(sub);
    }
  };
  visit(program);
  return all;
}

/** Loads and declares one command of `program` (for tests of the table). */
export function loadCommand(program: Command, command: Command): Promise<void> {
  return defineCommand(program, command);
}
