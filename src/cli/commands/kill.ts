// `isobench kill [-s SIGNAL] NAME...`: send a signal (default SIGKILL) to running containers.
import { parseSignal, Runtime } from '../../container/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { forEachName } from '../for-each-name.js';

export async function killCommand(ctx: CliContext, names: string[], opts: { signal?: string } = {}): Promise<number> {
  const signal = parseSignal(opts.signal ?? 'SIGKILL').name;
  const runtime = await Runtime.open(ctx.root);
  return forEachName(ctx, names, (name) => runtime.kill(name, signal));
}

/** `isobench kill`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command.argument('<containers...>').option('-s, --signal <signal>', 'signal name or number', 'SIGKILL'),
  stateRoot: 'write',
  run: killCommand,
});
