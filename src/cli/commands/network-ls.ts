// `isobench network ls [--json]`: networks with their bridge, subnet and containers.
import { listNetworks } from '../../container/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { formatTextTable } from '../text-table.js';

export interface NetworkLsCommandOptions {
  json?: boolean;
}

/** Prints the network table (or JSON array). Always 0. */
export async function networkLsCommand(ctx: CliContext, opts: NetworkLsCommandOptions = {}): Promise<number> {
  const networks = listNetworks(ctx.layout);
  if (opts.json) {
    ctx.stdout.write(`${JSON.stringify(networks)}\n`);
    return 0;
  }
  const rows = [
    ['NAME', 'BRIDGE', 'SUBNET', 'GATEWAY', 'CONTAINERS'],
    ...networks.map((n) => [n.name, n.bridge, n.subnet, n.gateway, String(n.containers.length)]),
  ];
  ctx.stdout.write(`${formatTextTable(rows)}\n`);
  return 0;
}

/** `isobench network ls`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.option('--json', 'print JSON'),
  stateRoot: 'read',
  run: networkLsCommand,
});
