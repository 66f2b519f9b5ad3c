// `isobench network inspect NAME`: the network's record and its containers as JSON.
import { inspectNetwork } from '../../container/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export async function networkInspectCommand(ctx: CliContext, name: string): Promise<number> {
  ctx.stdout.write(`${JSON.stringify(inspectNetwork(ctx.layout, name), null, 2)}\n`);
  return 0;
}

/** `isobench network inspect`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('<name>'),
  stateRoot: 'read',
  run: networkInspectCommand,
});
