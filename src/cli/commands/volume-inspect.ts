// `isobench volume inspect NAME...`: volumes as a JSON array (Docker's fields: Name, Driver,
// Mountpoint, CreatedAt, Labels, Options, Scope).
import { inspectVolume } from '../../container/volumes/store.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export async function volumeInspectCommand(ctx: CliContext, names: string[]): Promise<number> {
  const infos = names.map((name) => inspectVolume(ctx.layout, name));
  ctx.stdout.write(`${JSON.stringify(infos, null, 2)}\n`);
  return 0;
}

/** `isobench volume inspect`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('<volumes...>'),
  stateRoot: 'read',
  run: volumeInspectCommand,
});
