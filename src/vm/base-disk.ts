// Image -> disk: flattens an image's layers into a read-only ext4 base disk, cached by image digest
// and shared by every VM of that image (each VM writes to its own qcow2 overlay, overlay-disk.ts).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { withLock } from '../util/lock.js';
import type { GuestPayload } from './guest-payload.js';
import { sha256File } from './kernel-package.js';
import { runTool } from './tools.js';

/** Sidecar written after a complete build; a disk without it (or not matching it) is rebuilt. */
export interface BaseDiskMeta {
  sizeBytes: number;
  /** SHA256 (hex) of the whole disk file. */
  sha256: string;
  /** Identity of the file when the hash was taken: a write changes mtime, so a match skips hashing. */
  mtimeMs: number;
  ino: number;
}

/**
 * Runs in a private mount namespace (unshare --mount --propagation private): the read-only overlay
 * of the lower dirs (so whiteouts apply) dies with the namespace, whatever happens to us.
 * Size: content + 25 % + 512 MiB of free space for the workload's writes (the disk scenarios write
 * 64 MiB and more; the file is sparse and the qcow2 overlay only grows by what is written).
 * No journal: the disk is rebuilt rather than repaired, and mounting skips journal set-up.
 */
const BUILD_SCRIPT = `set -eu
merged=$1 out=$2 lower=$3
mount -t overlay -o ro,lowerdir="$lower" isobench-vm "$merged"
kib=$(du -skx "$merged" | cut -f1)
inodes=$(find "$merged" -xdev | wc -l)
truncate -s "$(( kib + kib / 4 + 524288 ))K" "$out"
mke2fs -q -F -t ext4 -O ^has_journal -N "$(( inodes + 4096 ))" -m 0 -L isobench -d "$merged" "$out"
`;

/**
 * Paths of the cached disk of an image digest ("sha256:<hex>"), with the guest's own files laid
 * over it when `payloadKey` is given (a disk that is also the guest's root).
 */
export function baseDiskPaths(layout: RootLayout, digest: string, payloadKey?: string): { disk: string; meta: string } {
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!match) throw new InputError(`expected an image digest sha256:<64 hex>, got '${digest}'`);
  const suffix = payloadKey === undefined ? '' : `-${payloadKey.slice(0, 16)}`;
  const disk = path.join(layout.vm, 'disks', `${match[1]}${suffix}.ext4`);
  return { disk, meta: `${disk}.json` };
}

/** True when the cached disk matches its sidecar (cheap when untouched, a full hash otherwise). */
export async function isBaseDiskIntact(disk: string, metaFile: string): Promise<boolean> {
  let meta: BaseDiskMeta;
  try {
    meta = JSON.parse(await fs.readFile(metaFile, 'utf8')) as BaseDiskMeta;
  } catch {
    return false;
  }
  const stat = await fs.stat(disk).catch(() => undefined);
  if (!stat || stat.size !== meta.sizeBytes) return false;
  if (stat.mtimeMs === meta.mtimeMs && stat.ino === meta.ino) return true;
  if ((await sha256File(disk)) !== meta.sha256) return false;
  await writeJsonAtomic(metaFile, { ...meta, mtimeMs: stat.mtimeMs, ino: stat.ino });
  return true;
}

async function buildBaseDisk(
  layout: RootLayout,
  lowerDirs: string[],
  disk: string,
  metaFile: string,
  payload: GuestPayload | undefined,
): Promise<void> {
  for (const dir of lowerDirs) {
    // overlayfs splits lowerdir on ':' and options on ','.
    if (!path.isAbsolute(dir) || /[:,\\]/.test(dir)) throw new InputError(`unusable layer dir for overlayfs: '${dir}'`);
  }
  await fs.mkdir(layout.tmp, { recursive: true });
  const work = await fs.mkdtemp(path.join(layout.tmp, `vm-disk-${process.pid}-`));
  try {
    const merged = path.join(work, 'merged');
    const empty = path.join(work, 'empty');
    const out = path.join(work, 'disk.ext4');
    await fs.mkdir(merged);
    await fs.mkdir(empty);
    // The guest's files go on top, so no image file can shadow them.
    const top: string[] = [];
    if (payload) {
      const payloadDir = path.join(work, 'payload');
      await fs.mkdir(payloadDir);
      await payload.write(payloadDir);
      top.push(payloadDir);
    }
    // The empty bottom layer lets a one-layer image mount without an upper dir.
    const lower = [...top, ...lowerDirs, empty].join(':');
    await runTool('unshare', [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      BUILD_SCRIPT,
      'sh',
      merged,
      out,
      lower,
    ]);
    await fs.chmod(out, 0o444);
    const stat = await fs.stat(out);
    const meta: BaseDiskMeta = { sizeBytes: stat.size, sha256: await sha256File(out), mtimeMs: 0, ino: 0 };
    await fs.mkdir(path.dirname(disk), { recursive: true });
    await fs.rm(metaFile, { force: true });
    await fs.rename(out, disk);
    const final = await fs.stat(disk);
    await writeJsonAtomic(metaFile, { ...meta, mtimeMs: final.mtimeMs, ino: final.ino });
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * Returns the path of the base disk for image `digest`, building it from `lowerDirs` (topmost
 * first, with `payload` over them) when it is missing or does not match its sidecar (a corrupt
 * disk is rebuilt).
 */
export async function ensureBaseDisk(
  layout: RootLayout,
  digest: string,
  lowerDirs: string[],
  payload?: GuestPayload,
): Promise<string> {
  const { disk, meta } = baseDiskPaths(layout, digest, payload?.key);
  if (await isBaseDiskIntact(disk, meta)) return disk;
  return withLock(
    layout.locks,
    `vm-disk-${path.basename(disk, '.ext4').slice(0, 16)}`,
    async () => {
      if (await isBaseDiskIntact(disk, meta)) return disk;
      await buildBaseDisk(layout, lowerDirs, disk, meta, payload);
      return disk;
    },
    600_000,
  );
}
