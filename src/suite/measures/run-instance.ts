// The shared shape of most measures: launch one instance, wait for ready and exit within the
// iteration's timeout, insist on exit code 0, and always dispose it.
import { WorkloadError } from '../../errors.js';
import type { Instance, InstanceExit } from '../../targets/types.js';
import { within } from '../timeouts.js';
import type { InstanceContext } from './types.js';

/** Rejects when the instance exits before printing its ready marker. */
export function readyOrExit(instance: Instance): Promise<bigint> {
  return Promise.race([
    instance.ready,
    instance.exited.then((exit) => {
      throw new WorkloadError(`the workload exited with code ${exit.exitCode} before it printed its ready marker`, {
        hint: lastLinesHint(instance),
      });
    }),
  ]);
}

/** Throws WorkloadError for a non-zero exit, naming an OOM kill when there was one. */
export function requireSuccess(exit: InstanceExit, instance: Instance): void {
  if (exit.exitCode === 0) return;
  const why = exit.oomKilled ? ' (killed by the OOM killer)' : '';
  throw new WorkloadError(`the workload exited with code ${exit.exitCode}${why}`, { hint: lastLinesHint(instance) });
}

function lastLinesHint(instance: Instance): string {
  const tail = instance.outputLines().slice(-3).join(' | ');
  return tail ? `last output: ${tail}` : 'the workload printed nothing';
}

/**
 * Launches, waits for ready then exit, and hands the still-undisposed instance to `inspect`
 * (for writable bytes or probe reports) before disposing it on every path.
 */
export async function runToExit<T>(
  context: InstanceContext,
  inspect: (instance: Instance, readyNs: bigint, exit: InstanceExit) => Promise<T>,
): Promise<T> {
  const { target, workload, timeoutMs, signal } = context;
  const instance = await target.launch(workload);
  try {
    const readyNs = await within(readyOrExit(instance), timeoutMs, `${target.kind}: ready marker`, signal);
    const exit = await within(instance.exited, timeoutMs, `${target.kind}: workload exit`, signal);
    requireSuccess(exit, instance);
    return await inspect(instance, readyNs, exit);
  } finally {
    await instance.dispose();
  }
}
