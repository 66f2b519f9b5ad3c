// `isobench gc`: clean leftovers of crashed container runs and print what was cleaned.
import { type GcReport, Runtime } from '../../container/index.js';
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
    ['skipped', report.skipped],
  ];
  const lines = sections.flatMap(([what, items]) => items.map((item) => `${what}: ${item}`));
  return lines.length === 0 ? 'containers: nothing to clean' : lines.join('\n');
}

export async function gcCommand(ctx: CliContext): Promise<number> {
  const runtime = await Runtime.open(ctx.root);
  ctx.stdout.write(`${formatGcReport(await runtime.gc())}\n`);
  return 0;
}
