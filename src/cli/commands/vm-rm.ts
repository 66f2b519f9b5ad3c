// `isobench vm rm [-f] VM...`: remove VMs (their overlay, socket, logs); -f stops running ones first.
import { removeVm } from '../../vm/index.js';
import type { CliContext } from '../context.js';

export interface VmRmCommandOptions {
  force?: boolean;
}

/** Removes each VM in turn; a running VM without -f is a ConflictError. */
export async function vmRmCommand(ctx: CliContext, names: string[], opts: VmRmCommandOptions = {}): Promise<number> {
  for (const name of names) {
    await removeVm(ctx.layout, name, opts.force === true);
    ctx.stdout.write(`${name}\n`);
  }
  return 0;
}
