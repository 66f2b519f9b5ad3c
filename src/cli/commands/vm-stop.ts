// `isobench vm stop VM...`: stop VMs (QMP quit, then SIGKILL), printing each name.
import { stopVm } from '../../vm/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

/** Stops each VM in turn; the first failure throws (NotFoundError for an unknown VM). */
export async function vmStopCommand(ctx: CliContext, names: string[]): Promise<number> {
  for (const name of names) {
    await stopVm(ctx.layout, name);
    ctx.stdout.write(`${name}\n`);
  }
  return 0;
}

/** `isobench vm stop`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('<vms...>'),
  stateRoot: 'write',
  run: vmStopCommand,
});
