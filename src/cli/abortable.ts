// Ctrl-C and SIGTERM for commands that run one abortable job (a VM, a kernel build): the first
// signal aborts the job, which then cleans up after itself; an interrupted job exits 130.
import { EXIT_STATUS, IsobenchError } from '../errors.js';

/**
 * Runs `job` with a signal that the first SIGINT or SIGTERM aborts, and returns its exit status,
 * or EXIT_STATUS.INTERRUPTED when the job gave up because of that signal. Handlers are removed on
 * every path.
 */
export async function runAbortable(job: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await job(controller.signal);
  } catch (error) {
    if (error instanceof IsobenchError && error.code === 'INTERRUPTED') return EXIT_STATUS.INTERRUPTED;
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
