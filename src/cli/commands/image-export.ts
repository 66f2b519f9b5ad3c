// `isobench image export REF FILE`: write an image as an OCI archive.
import { exportArchive } from '../../image/archive.js';
import { ImageStore } from '../../image/store.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export async function imageExportCommand(ctx: CliContext, ref: string, file: string): Promise<number> {
  const store = await ImageStore.open(ctx.root);
  await exportArchive(store, ref, file);
  ctx.stdout.write(`Exported ${ref} to ${file}\n`);
  return 0;
}

/** `isobench image export`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('<image>').argument('<archive>', 'OCI archive to write'),
  stateRoot: 'read',
  run: imageExportCommand,
});
