// `isobench network create [--subnet CIDR] NAME`: a host-only bridge network; prints its name.
import { createNetwork } from '../../container/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export interface NetworkCreateCommandOptions {
  /** e.g. "10.213.7.0/24"; default: a free /24 of 10.213.0.0/16. */
  subnet?: string;
}

export async function networkCreateCommand(
  ctx: CliContext,
  name: string,
  opts: NetworkCreateCommandOptions = {},
): Promise<number> {
  const record = await createNetwork(ctx.layout, name, opts.subnet);
  ctx.stdout.write(`${record.name}\n`);
  return 0;
}

/** `isobench network create`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .argument('<name>')
      .option('--subnet <cidr>', 'private IPv4 subnet, e.g. 10.213.7.0/24 (default: a free /24 of 10.213.0.0/16)'),
  stateRoot: 'write',
  run: networkCreateCommand,
});
