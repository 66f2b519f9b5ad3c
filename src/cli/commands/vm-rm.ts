// `isobench vm rm [-f] VM...`: remove VMs (their overlay, socket, logs); -f stops running ones first.
import { removeVm } from '../../vm/index.js';
import { defineCommand } from '../command.js';
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

/** `isobench vm rm`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('<vms...>').option('-f, --force', 'stop a running VM first'),
  stateRoot: 'write',
  run: vmRmCommand,
});
