// Bounded waits for the runner: an iteration that never gets ready or never exits becomes a
// failed iteration with a TimeoutError, and Ctrl-C interrupts any wait at once.
import { IsobenchError, TimeoutError } from '../errors.js';

/** Resolves with `promise`, or rejects with TimeoutError after `ms`, or when `signal` aborts. */
export function within<T>(promise: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      cleanup();
      reject(new IsobenchError('INTERRUPTED', `interrupted while waiting for ${what}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new TimeoutError(`${what} took longer than ${(ms / 1000).toFixed(1)} s`, {
          hint: 'raise timeoutSeconds in the scenario',
        }),
      );
    }, ms);
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** Sleeps `ms`, cut short (without error) when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
