// `isobench image import FILE [--ref NAME:TAG]`: load an OCI archive or a docker save tar.
import { importArchive } from '../../image/archive.js';
import { normalizeImageRef } from '../../image/image-ref.js';
import { ImageStore } from '../../image/store.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export async function imageImportCommand(ctx: CliContext, file: string, opts: { ref?: string }): Promise<number> {
  // A bad --tag is bad input of its own: say so before reading the archive.
  if (opts.ref !== undefined) normalizeImageRef(opts.ref);
  const store = await ImageStore.open(ctx.root);
  const images = await importArchive(store, file, opts.ref === undefined ? {} : { ref: opts.ref });
  for (const image of images) {
    const refs = image.refs.length > 0 ? image.refs.join(', ') : '(untagged)';
    ctx.stdout.write(`Imported ${image.digest} ${refs}\n`);
  }
  return 0;
}

/** `isobench image import`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .argument('<archive>', 'OCI archive, or a docker save tar')
      .option('-t, --tag <name[:tag]>', 'name to give the imported image'),
  stateRoot: 'write',
  run: (ctx, file: string, opts: { tag?: string }) => imageImportCommand(ctx, file, { ref: opts.tag }),
});
