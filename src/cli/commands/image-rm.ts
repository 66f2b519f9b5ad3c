// `isobench image rm REF...`: untag or remove images, refusing those a container uses.
import { ImageStore } from '../../image/store.js';
import type { StoredImage } from '../../image/types.js';
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
