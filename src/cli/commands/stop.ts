// `isobench stop [-t SECONDS] NAME...`: stop signal, grace period, SIGKILL; prints each name stopped.

import { Runtime } from '../../container/index.js';
import { EXIT_STATUS, InputError, IsobenchError } from '../../errors.js';
import type { CliContext } from '../context.js';

/**
 * Applies `act` to every name, printing the name on success and the error (with its hint) on
 * failure without stopping at the first one. Returns 0, or the exit status of the first error.
 */
export async function forEachName(ctx: CliContext, names: string[], act: (name: string) => Promise<void>) {
  let status = 0;
  for (const name of names) {
    try {
      await act(name);
      ctx.stdout.write(`${name}\n`);
    } catch (error) {
      if (!(error instanceof IsobenchError)) throw error;
      ctx.stderr.write(`isobench: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`);
      if (status === 0) status = EXIT_STATUS[error.code];
    }
  }
  return status;
}

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
