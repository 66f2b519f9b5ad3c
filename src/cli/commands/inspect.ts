// `isobench inspect NAME`: the container's record as JSON, with its paths and, while it runs,
// its cgroup accounting.
import { Runtime } from '../../container/index.js';
import { containerPaths } from '../../container/state.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export async function inspectCommand(ctx: CliContext, name: string): Promise<number> {
  const runtime = await Runtime.open(ctx.root);
  const record = await runtime.get(name);
  const paths = containerPaths(ctx.layout.containers, record.id);
  const cgroup =
    record.status === 'running' ? { stats: await runtime.context.cgroups.open(record.id).readStats() } : undefined;
  ctx.stdout.write(`${JSON.stringify({ ...record, paths, ...(cgroup ? { cgroup } : {}) }, null, 2)}\n`);
  return 0;
}

/** `isobench inspect`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.argument('<container>'),
  stateRoot: 'read',
  run: inspectCommand,
});
