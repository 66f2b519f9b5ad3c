// Cross-process mutual exclusion with lock directories: mkdir is atomic, the owner's pid is
// written inside, and a lock whose owner died (a crash, SIGKILL) is taken over rather than
// blocking forever.
import { promises as fs, mkdirSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
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
 * Takes the lock at once if it is free. Uncontended, that is a handful of synchronous syscalls
 * instead of the thread-pool round trips of fs.promises (~1-2 ms per container launch on a busy
 * host, where the containers lock sits on the timed path).
 * @returns false when the lock dir exists (held) or its parent is missing: the caller waits.
 */
function tryTakeNow(dir: string): boolean {
  try {
    mkdirSync(dir);
  } catch {
    return false;
  }
  try {
    writeFileSync(path.join(dir, 'pid'), String(process.pid));
  } catch (error) {
    release(dir);
    throw error;
  }
  return true;
}

/** Waits for the lock, breaking a stale one; makes `locksDir` when missing. */
async function takeWaiting(locksDir: string, dir: string, name: string, timeoutMs: number): Promise<void> {
  await fs.mkdir(locksDir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let delayMs = 1;
  for (;;) {
    try {
      await fs.mkdir(dir);
      await fs.writeFile(path.join(dir, 'pid'), String(process.pid));
      return;
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
}

/** Removes the lock dir and its pid file; a dir already gone (broken as stale elsewhere) is fine. */
function release(dir: string): void {
  try {
    unlinkSync(path.join(dir, 'pid'));
  } catch {
    // Never written, or already gone with the dir.
  }
  try {
    rmdirSync(dir);
  } catch {
    // Already gone (broken as stale by another process): nothing left to release.
  }
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
  const dir = path.join(locksDir, `${name}.lock`);
  if (!tryTakeNow(dir)) await takeWaiting(locksDir, dir, name, timeoutMs);
  try {
    return await fn();
  } finally {
    release(dir);
  }
}
