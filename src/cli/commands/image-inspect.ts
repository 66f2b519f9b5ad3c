// `isobench image inspect REF`: one image as JSON (digest, refs, config, layers).
import { ImageStore } from '../../image/store.js';
import { defineCommand } from '../command.js';
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

/** `isobench image inspect`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('<image>'),
  stateRoot: 'read',
  run: imageInspectCommand,
});
