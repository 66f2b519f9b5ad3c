// `isobench vm stop VM...`: stop VMs (QMP quit, then SIGKILL), printing each name.
import { stopVm } from '../../vm/index.js';
import type { CliContext } from '../context.js';

/** Stops each VM in turn; the first failure throws (NotFoundError for an unknown VM). */
export async function vmStopCommand(ctx: CliContext, names: string[]): Promise<number> {
  for (const name of names) {
    await stopVm(ctx.layout, name);
    ctx.stdout.write(`${name}\n`);
  }
  return 0;
}
