// `isobench image rm REF...`: untag or remove images, refusing those a container uses.
import { Runtime } from '../../container/index.js';
import { ImageStore } from '../../image/store.js';
import type { StoredImage } from '../../image/types.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

/** Removes each ref in turn; stops at the first error (the lead maps it to an exit code). */
export async function imageRmCommand(
  ctx: CliContext,
  refs: string[],
  opts: { isInUse: (image: StoredImage) => Promise<boolean> },
): Promise<number> {
  const store = await ImageStore.open(ctx.root);
  for (const ref of refs) {
    const result = await store.remove(ref, { isInUse: opts.isInUse });
    ctx.stdout.write(`Untagged: ${result.untagged}\n`);
    if (result.deletedBlobs > 0 || result.deletedLayerDirs > 0) {
      ctx.stdout.write(`Deleted: ${result.deletedBlobs} blobs, ${result.deletedLayerDirs} layer dirs\n`);
    }
  }
  return 0;
}

/** `isobench image rm`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('<images...>'),
  stateRoot: 'write',
  run: async (ctx, refs: string[]) => {
    const runtime = await Runtime.open(ctx.root);
    return imageRmCommand(ctx, refs, { isInUse: (img) => runtime.isImageInUse(img) });
  },
});
