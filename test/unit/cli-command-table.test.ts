// The command table (src/cli/command-table.ts) lists commands without loading their files: its
// help terms must say what each file's `define` declares, and every file must load and declare.
import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_TABLE } from '../../src/cli/command-table.js';
import { buildProgram, listCommands, loadCommand } from '../../src/cli/program.js';

describe('the CLI command table', () => {
  it('gives every command the help term its own file declares', async () => {
    const program = await buildProgram(['node', 'isobench']);
    const commands = listCommands(program);
    expect(commands.map(({ entry }) => entry.path.join(' '))).toEqual(COMMAND_TABLE.map((e) => e.path.join(' ')));
    for (const { command, entry } of commands) {
      await loadCommand(program, command);
      const declared = new Help().subcommandTerm(command).slice(command.name().length).trim();
      expect(`${entry.path.join(' ')}: ${declared}`).toBe(`${entry.path.join(' ')}: ${entry.term}`);
    }
  }, 60_000);

  it('loads no command file to build the program', async () => {
    const program = await buildProgram(['node', 'isobench', 'ps']);
    for (const { command, entry } of listCommands(program)) {
      if (entry.load) expect(command.options, entry.path.join(' ')).toEqual([]);
    }
  });
});
