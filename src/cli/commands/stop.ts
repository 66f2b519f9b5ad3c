// `isobench stop [-t SECONDS] NAME...`: stop signal, grace period, SIGKILL; prints each name stopped.

import { Runtime } from '../../container/index.js';
import { InputError } from '../../errors.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { forEachName } from '../for-each-name.js';

/** Parses -t/--time (seconds, may be fractional) into ms. @throws InputError. */
export function parseStopTime(time: string | number | undefined): number {
  if (time === undefined) return 10_000;
  const seconds = Number(time);
  if (!/^\d+(\.\d+)?$/.test(String(time).trim()) || !Number.isFinite(seconds)) {
    throw new InputError(`expected --time to be a number of seconds, got '${time}'`, { hint: 'e.g. --time 5' });
  }
  return Math.round(seconds * 1000);
}

export async function stopCommand(
  ctx: CliContext,
  names: string[],
  opts: { time?: string | number } = {},
): Promise<number> {
  const timeoutMs = parseStopTime(opts.time);
  const runtime = await Runtime.open(ctx.root);
  return forEachName(ctx, names, async (name) => {
    await runtime.stop(name, { timeoutMs });
  });
}

/** `isobench stop`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command.argument('<containers...>').option('-t, --time <seconds>', 'seconds to wait before SIGKILL', '10'),
  stateRoot: 'write',
  run: stopCommand,
});
