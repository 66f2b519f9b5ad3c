// `isobench image inspect REF`: one image as JSON (digest, refs, config, layers).
import { ImageStore } from '../../image/store.js';
import type { CliContext } from '../context.js';

export async function imageInspectCommand(ctx: CliContext, ref: string): Promise<number> {
  const store = await ImageStore.open(ctx.root);
  const image = await store.resolve(ref);
  const out = {
    digest: image.digest,
    refs: image.refs,
    configDigest: image.configDigest,
    config: image.config,
    layers: image.layers,
  };
  ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}
