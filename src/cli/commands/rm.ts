// `isobench rm [-f] NAME...`: remove stopped containers (running ones only with -f).
import { Runtime } from '../../container/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { forEachName } from '../for-each-name.js';

export async function rmCommand(ctx: CliContext, names: string[], opts: { force?: boolean } = {}): Promise<number> {
  const runtime = await Runtime.open(ctx.root);
  return forEachName(ctx, names, (name) => runtime.remove(name, { force: opts.force === true }));
}

/** `isobench rm`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command.argument('<containers...>').option('-f, --force', 'kill a running container before removing it'),
  stateRoot: 'write',
  run: rmCommand,
});
