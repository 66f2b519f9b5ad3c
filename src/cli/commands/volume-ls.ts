// `isobench volume ls`: the named volumes (Docker's DRIVER and VOLUME NAME columns; -q names only).
import { listVolumes } from '../../container/volumes/store.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { formatTextTable } from '../text-table.js';

export async function volumeLsCommand(ctx: CliContext, opts: { quiet?: boolean; json?: boolean }): Promise<number> {
  const volumes = listVolumes(ctx.layout);
  if (opts.json) ctx.stdout.write(`${JSON.stringify(volumes, null, 2)}\n`);
  else if (opts.quiet) ctx.stdout.write(volumes.map((v) => `${v.Name}\n`).join(''));
  else ctx.stdout.write(`${formatTextTable([['DRIVER', 'VOLUME NAME'], ...volumes.map((v) => [v.Driver, v.Name])])}\n`);
  return 0;
}

/** `isobench volume ls`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.option('-q, --quiet', 'print names only').option('--json', 'print JSON'),
  stateRoot: 'read',
  run: volumeLsCommand,
});
