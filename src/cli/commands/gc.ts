// `isobench gc`: clean what crashed or killed runs left — containers, VMs, peer-runtime bundles
// and namespace holders — and print what was cleaned.
import { type GcReport, Runtime } from '../../container/index.js';
import { gcPeerLeftovers } from '../../targets/peer-rootfs.js';
import { gcVms, type VmGcReport } from '../../vm/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

/** One line per cleaned item, grouped; "nothing to clean" when empty. */
export function formatGcReport(report: GcReport): string {
  const sections: Array<[string, string[]]> = [
    ['removed container', report.removedContainers],
    ['marked stopped', report.markedStopped],
    ['killed orphan', report.killedOrphans],
    ['removed corrupt container dir', report.removedCorrupt],
    ['removed cgroup', report.removedCgroups],
    ['removed temp entry', report.removedTmpEntries],
    ['removed bridge', report.removedBridges],
    ['released address', report.removedLeases],
    ['skipped', report.skipped],
  ];
  const lines = sections.flatMap(([what, items]) => items.map((item) => `${what}: ${item}`));
  return lines.length === 0 ? 'containers: nothing to clean' : lines.join('\n');
}

function formatVmGcReport(report: VmGcReport): string {
  const lines = [
    ...report.killedPids.map((pid) => `killed qemu: ${pid}`),
    ...report.removedVms.map((id) => `removed vm: ${id}`),
    ...report.removedTemp.map((entry) => `removed vm temp entry: ${entry}`),
    ...report.removedSnapshots.map((id) => `removed stale vm snapshot: ${id}`),
  ];
  return lines.length === 0 ? 'vms: nothing to clean' : lines.join('\n');
}

export async function gcCommand(ctx: CliContext): Promise<number> {
  const runtime = await Runtime.open(ctx.root);
  ctx.stdout.write(`${formatGcReport(await runtime.gc())}\n`);
  ctx.stdout.write(`${formatVmGcReport(await gcVms(ctx.layout))}\n`);
  const peers = await gcPeerLeftovers(ctx.root);
  const peerLines = [
    ...peers.removed.map((id) => `removed peer instance: ${id}`),
    ...peers.killedHolders.map((pid) => `killed namespace holder: ${pid}`),
  ];
  ctx.stdout.write(`${peerLines.length === 0 ? 'peers: nothing to clean' : peerLines.join('\n')}\n`);
  for (const problem of peers.problems) ctx.stderr.write(`isobench: gc: ${problem}\n`);
  return peers.problems.length === 0 ? 0 : 1;
}

/** `isobench gc`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command,
  stateRoot: 'write',
  run: gcCommand,
});
