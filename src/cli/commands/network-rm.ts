// `isobench network rm NAME...`: remove networks (refused while a container is on one).
import { removeNetwork } from '../../container/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

/** Removes each in turn; stops at the first error. */
export async function networkRmCommand(ctx: CliContext, names: string[]): Promise<number> {
  for (const name of names) {
    await removeNetwork(ctx.layout, name);
    ctx.stdout.write(`${name}\n`);
  }
  return 0;
}

/** `isobench network rm`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('<names...>'),
  stateRoot: 'write',
  run: networkRmCommand,
});
