// `stop`: the stop signal (image StopSignal, default SIGTERM), a grace period, then SIGKILL;
// resolves once the exit is recorded. NOTE: PID 1 of a pid namespace ignores signals it has no
// handler for (pid_namespaces(7)), so a plain `sleep` only ends with the SIGKILL.
import { setTimeout as sleep } from 'node:timers/promises';
import { requireRoot, TimeoutError } from '../../errors.js';
import { isSameProcessAlive } from '../../util/process.js';
import type { RuntimeContext } from '../context.js';
import { refreshContainer } from '../refresh.js';
import { type ContainerRecord, containerPaths, readRecord } from '../state.js';
import { findContainer } from './list.js';

export interface StopOptions {
  /** Grace period between the stop signal and SIGKILL, in ms; default 10 000. */
  timeoutMs?: number;
}

/** Sends `signal` to the workload if it is still the recorded process; false when it was gone. */
export function signalWorkload(record: ContainerRecord, signal: NodeJS.Signals | number): boolean {
  if (!isSameProcessAlive(record.pid, record.pidStartTime)) return false;
  try {
    process.kill(record.pid!, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Waits up to `timeoutMs` for the workload process to be gone; true when it is. */
async function waitWorkloadGone(record: ContainerRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 50)) {
    if (!isSameProcessAlive(record.pid, record.pidStartTime)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(delayMs);
  }
}

/**
 * Waits until the container's exit is recorded: re-reads state.json (an attached run's creator
 * writes it) and refreshes (a detached run's monitor writes the exit file).
 * @throws TimeoutError after `timeoutMs`.
 */
export async function waitUntilStopped(ctx: RuntimeContext, record: ContainerRecord, timeoutMs: number) {
  const paths = containerPaths(ctx.layout.containers, record.id);
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 2; ; delayMs = Math.min(delayMs * 2, 50)) {
    const current = await refreshContainer(ctx, readRecord(paths) ?? { ...record, status: 'stopped' });
    if (current.status === 'stopped') return current;
    if (Date.now() >= deadline) {
      throw new TimeoutError(`container ${record.name} did not record its exit within ${timeoutMs} ms`, {
        hint: `see \`isobench inspect ${record.name}\`; \`isobench gc\` cleans up after a dead monitor`,
      });
    }
    await sleep(delayMs);
  }
}

/** Stops a running container; a stopped one is returned as is. @throws NotFoundError. */
export async function stopContainer(
  ctx: RuntimeContext,
  nameOrId: string,
  options: StopOptions = {},
): Promise<ContainerRecord> {
  requireRoot('stopping a container');
  const record = await findContainer(ctx, nameOrId);
  if (record.status !== 'running') return record;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (signalWorkload(record, record.stopSignal as NodeJS.Signals) && !(await waitWorkloadGone(record, timeoutMs))) {
    signalWorkload(record, 'SIGKILL');
    await waitWorkloadGone(record, 5_000);
  }
  return waitUntilStopped(ctx, record, 5_000);
}
