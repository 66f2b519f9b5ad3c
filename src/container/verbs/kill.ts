// `kill`: send one signal to a running container's workload (default SIGKILL).
import { requireRoot } from '../../errors.js';
import type { RuntimeContext } from '../context.js';
import { parseSignal } from '../state.js';
import { findContainer, requireRunning } from './list.js';
import { signalWorkload } from './stop.js';

/**
 * Sends `signal` ("SIGTERM", "TERM", "15") to the workload (PID 1 of the container).
 * @throws InputError (unknown signal), NotFoundError, ConflictError (not running).
 */
export async function killContainer(ctx: RuntimeContext, nameOrId: string, signal: string | number = 'SIGKILL') {
  requireRoot('signalling a container');
  const { number } = parseSignal(signal);
  const record = await findContainer(ctx, nameOrId);
  requireRunning(record, 'kill');
  signalWorkload(record, number);
}
