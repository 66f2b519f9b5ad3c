// `isobench volume create [NAME]`: make a named volume (a random name when none), or keep the one
// that exists, as Docker does; prints the name.
import { randomBytes } from 'node:crypto';
import { createVolume } from '../../container/volumes/store.js';
import { requireRoot } from '../../errors.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export async function volumeCreateCommand(ctx: CliContext, name: string | undefined): Promise<number> {
  requireRoot('creating a volume');
  const { info } = await createVolume(ctx.layout, name ?? randomBytes(32).toString('hex'));
  ctx.stdout.write(`${info.Name}\n`);
  return 0;
}

/** `isobench volume create`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('[name]'),
  stateRoot: 'write',
  run: volumeCreateCommand,
});
