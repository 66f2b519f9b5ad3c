// `isobench vm ps [-a] [--json]`: list VMs (running ones, or all with -a), status refreshed.
import { listVms } from '../../vm/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { formatTextTable } from '../text-table.js';

export interface VmPsCommandOptions {
  all?: boolean;
  json?: boolean;
}

/** Prints the VM table (or JSON array). Always 0. */
export async function vmPsCommand(ctx: CliContext, opts: VmPsCommandOptions = {}): Promise<number> {
  const vms = (await listVms(ctx.layout)).filter((vm) => opts.all || vm.status !== 'exited');
  if (opts.json) {
    ctx.stdout.write(`${JSON.stringify(vms)}\n`);
    return 0;
  }
  const rows = [
    ['ID', 'NAME', 'IMAGE', 'STATUS', 'ACCEL', 'MACHINE', 'PID', 'CREATED'],
    ...vms.map((vm) => [
      vm.id,
      vm.name,
      vm.image,
      vm.status === 'exited' ? `exited (${vm.exitCode ?? '?'})` : vm.status,
      vm.accel,
      vm.machine,
      vm.qemuPid === undefined ? '-' : String(vm.qemuPid),
      vm.createdAt,
    ]),
  ];
  ctx.stdout.write(`${formatTextTable(rows)}\n`);
  return 0;
}

/** `isobench vm ps`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.option('-a, --all', 'show stopped VMs too').option('--json', 'print JSON'),
  stateRoot: 'read',
  run: vmPsCommand,
});
