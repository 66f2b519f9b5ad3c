// `isobench volume rm [-f] NAME...`: remove volumes, refusing one a container uses (running or
// stopped, as Docker does, -f or not); -f makes a missing volume no error.
import { Runtime } from '../../container/index.js';
import { removeVolume } from '../../container/volumes/store.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { forEachName } from '../for-each-name.js';

export async function volumeRmCommand(ctx: CliContext, names: string[], opts: { force?: boolean } = {}) {
  const runtime = await Runtime.open(ctx.root);
  return forEachName(ctx, names, (name) => removeVolume(runtime.context, name, { force: opts.force === true }));
}

/** `isobench volume rm`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command.argument('<volumes...>').option('-f, --force', 'no error for a volume that does not exist'),
  stateRoot: 'write',
  run: volumeRmCommand,
});
