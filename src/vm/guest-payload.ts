// The guest's own files on a disk root (a kernel built with every driver in, no initramfs):
// /.isobench/{init, launch.sh, bin/busybox + applet links}, laid over the image when its base disk
// is built. Keyed by a hash of what goes in, so a new init or busybox makes a new disk.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { DISK_GUEST_DIR, renderGuestInit, renderGuestLauncher } from './guest-init.js';
import { BUSYBOX_PATH, INIT_APPLETS } from './initramfs.js';
import { SETUP_HINT } from './tools.js';

/** Bump when the payload's layout changes in a way the inputs below do not capture. */
const PAYLOAD_FORMAT_VERSION = 1;

/** Files laid over an image's root in its base disk. */
export interface GuestPayload {
  /** sha256 (hex) of everything written: part of the base disk's cache key. */
  key: string;
  /** Writes the files under `dir` (an empty dir that becomes the topmost overlay layer). */
  write(dir: string): Promise<void>;
}

let memo: Promise<GuestPayload> | undefined;

/**
 * The disk-root payload: busybox (Debian busybox-static), the disk-root init and launcher.
 * Memoized per process: every launch asks for it, and hashing busybox each time would count
 * against the minimal variant's host preparation time.
 */
export function diskGuestPayload(): Promise<GuestPayload> {
  memo ??= readDiskGuestPayload();
  memo.catch(() => {
    memo = undefined;
  });
  return memo;
}

async function readDiskGuestPayload(): Promise<GuestPayload> {
  let busybox: Buffer;
  try {
    busybox = await fs.readFile(BUSYBOX_PATH);
  } catch {
    throw new EnvironmentError(`${BUSYBOX_PATH} not found: the VM guest needs busybox-static`, { hint: SETUP_HINT });
  }
  const init = renderGuestInit('disk');
  const launcher = renderGuestLauncher('disk');
  const key = createHash('sha256')
    .update(JSON.stringify({ PAYLOAD_FORMAT_VERSION, init, launcher, applets: INIT_APPLETS }))
    .update(createHash('sha256').update(busybox).digest())
    .digest('hex');
  return {
    key,
    async write(dir: string): Promise<void> {
      const base = path.join(dir, DISK_GUEST_DIR);
      await fs.mkdir(path.join(base, 'bin'), { recursive: true, mode: 0o755 });
      await fs.writeFile(path.join(base, 'bin', 'busybox'), busybox, { mode: 0o755 });
      for (const applet of ['sh', ...INIT_APPLETS]) await fs.symlink('busybox', path.join(base, 'bin', applet));
      await fs.writeFile(path.join(base, 'init'), init, { mode: 0o755 });
      await fs.writeFile(path.join(base, 'launch.sh'), launcher, { mode: 0o644 });
    },
  };
}
