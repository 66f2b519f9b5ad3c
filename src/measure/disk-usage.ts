// On-disk footprint of directory trees: allocated and apparent bytes, each inode counted once.

import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../errors.js';

/** Footprint of the inodes counted by one measurement. */
export interface DiskUsage {
  /** Blocks actually allocated: st_blocks x 512 (sparse files and tail packing show here). */
  allocatedBytes: number;
  /** Sum of st_size (what `du --apparent-size` shows). */
  apparentBytes: number;
  /** Non-directory inodes counted (regular files, symlinks, devices, fifos, sockets). */
  files: number;
  /** Directory inodes counted. */
  dirs: number;
}

export interface DiskUsageOptions {
  /**
   * Inodes ("dev:ino") already counted. Inodes in it are skipped and new ones added, so passing
   * one set to several calls counts content shared between them (a common lower layer) only once.
   */
  countedInodes?: Set<string>;
  /** Stay on each path's filesystem: do not descend into directories on another device. Default true. */
  oneFileSystem?: boolean;
  /** Concurrent lstat calls. Default 64. */
  concurrency?: number;
}

// ENOENT: removed during the walk; ENOTDIR: a dir replaced by a file between lstat and readdir.
function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

// A counting semaphore: bounds open fs requests so a huge tree neither floods libuv nor runs out of fds.
function makeLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/**
 * Walks every path (symlinks are not followed) and sums the inodes not counted before. A path
 * given twice, or two paths sharing hardlinks, count each inode once. Entries vanishing during the
 * walk are skipped. Precondition: the process may read every directory (run as root for rootfs trees).
 * @throws NotFoundError when a given top-level path does not exist.
 */
export async function measureDiskUsage(paths: string[], options: DiskUsageOptions = {}): Promise<DiskUsage> {
  const counted = options.countedInodes ?? new Set<string>();
  const oneFileSystem = options.oneFileSystem ?? true;
  const limit = makeLimiter(options.concurrency ?? 64);
  const usage: DiskUsage = { allocatedBytes: 0, apparentBytes: 0, files: 0, dirs: 0 };

  // Counts the entry once, then descends into it when it is a directory.
  const visit = async (entry: string, rootDev: bigint | undefined): Promise<void> => {
    let stats: Awaited<ReturnType<typeof lstatBig>>;
    try {
      stats = await limit(() => lstatBig(entry));
    } catch (error) {
      if (isGone(error)) return;
      throw error;
    }
    const isDir = stats.isDirectory();
    // Another filesystem mounted inside (proc, a bind mount): neither counted nor entered.
    if (isDir && oneFileSystem && rootDev !== undefined && stats.dev !== rootDev) return;
    const key = `${stats.dev}:${stats.ino}`;
    if (counted.has(key)) return;
    counted.add(key);
    usage.allocatedBytes += Number(stats.blocks) * 512;
    usage.apparentBytes += Number(stats.size);
    if (!isDir) {
      usage.files++;
      return;
    }
    usage.dirs++;
    let names: string[];
    try {
      names = await limit(() => readdir(entry));
    } catch (error) {
      if (isGone(error)) return;
      throw error;
    }
    await Promise.all(names.map((name) => visit(path.join(entry, name), rootDev ?? stats.dev)));
  };

  for (const top of paths) {
    try {
      await lstatBig(top);
    } catch (error) {
      if (isGone(error)) throw new NotFoundError(`cannot measure disk usage: ${top} does not exist`);
      throw error;
    }
    await visit(path.resolve(top), undefined);
  }
  return usage;
}

// BigInt stats: st_ino can exceed 2^53 (overlayfs xino, btrfs), where a number would collide.
function lstatBig(file: string) {
  return lstat(file, { bigint: true });
}
