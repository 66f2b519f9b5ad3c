// Cross-process mutual exclusion with lock directories: mkdir is atomic, the owner's pid is
// written inside, and a lock whose owner died (a crash, SIGKILL) is taken over rather than
// blocking forever.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TimeoutError } from '../errors.js';
import { isProcessAlive } from './process.js';

async function tryBreakStale(dir: string): Promise<boolean> {
  let owner: number;
  try {
    owner = Number.parseInt(await fs.readFile(path.join(dir, 'pid'), 'utf8'), 10);
  } catch {
    // Owner between mkdir and writing its pid, or just released: look again.
    const stat = await fs.stat(dir).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > 5_000) {
      await fs.rm(dir, { recursive: true, force: true });
      return true;
    }
    return false;
  }
  if (Number.isFinite(owner) && !isProcessAlive(owner)) {
    await fs.rm(dir, { recursive: true, force: true });
    return true;
  }
  return false;
}

/**
 * Runs `fn` while holding the lock `name` under `locksDir`. Waits up to `timeoutMs` (default 30 s).
 * Re-entrancy is not supported: do not take the same lock twice in one call chain.
 */
export async function withLock<T>(
  locksDir: string,
  name: string,
  fn: () => Promise<T>,
  timeoutMs = 30_000,
): Promise<T> {
  await fs.mkdir(locksDir, { recursive: true });
  const dir = path.join(locksDir, `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  let delayMs = 1;
  for (;;) {
    try {
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await tryBreakStale(dir)) continue;
      if (Date.now() > deadline) {
        throw new TimeoutError(`lock '${name}' is held by another isobench process (${dir})`, {
          hint: `wait for it to finish, or remove ${dir} if no isobench process is running`,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 50);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
