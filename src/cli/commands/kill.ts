// `isobench kill [-s SIGNAL] NAME...`: send a signal (default SIGKILL) to running containers.
import { parseSignal, Runtime } from '../../container/index.js';
import type { CliContext } from '../context.js';
import { forEachName } from '../for-each-name.js';

export async function killCommand(ctx: CliContext, names: string[], opts: { signal?: string } = {}): Promise<number> {
  const signal = parseSignal(opts.signal ?? 'SIGKILL').name;
  const runtime = await Runtime.open(ctx.root);
  return forEachName(ctx, names, (name) => runtime.kill(name, signal));
}

