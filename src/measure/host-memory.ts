// Host-wide memory state: /proc/meminfo, KSM counters and transparent huge page settings.

import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { parseKbTable, readIfPresent } from './proc-files.js';

/** The /proc/meminfo figures isobench uses, in bytes (proc(5)). */
export interface MemInfo {
  memTotalBytes: number;
  memFreeBytes: number;
  /** The kernel's estimate of memory available without swapping. */
  memAvailableBytes: number;
  buffersBytes: number;
  /** Page cache (excludes swap cache and buffers). */
  cachedBytes: number;
  /** Anonymous pages mapped into user page tables. */
  anonPagesBytes: number;
  shmemBytes: number;
  slabBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
  /** Every meminfo line, key -> bytes ("kB" lines) or a bare count (HugePages_*). */
  raw: Record<string, number>;
}

/** Parses the text of /proc/meminfo; a missing field reads as 0 (old kernels lack MemAvailable). */
export function parseMemInfo(text: string): MemInfo {
  const table = parseKbTable(text);
  const get = (key: string): number => table.get(key) ?? 0;
  return {
    memTotalBytes: get('MemTotal'),
    memFreeBytes: get('MemFree'),
    memAvailableBytes: get('MemAvailable'),
    buffersBytes: get('Buffers'),
    cachedBytes: get('Cached'),
    anonPagesBytes: get('AnonPages'),
    shmemBytes: get('Shmem'),
    slabBytes: get('Slab'),
    swapTotalBytes: get('SwapTotal'),
    swapFreeBytes: get('SwapFree'),
    raw: Object.fromEntries(table),
  };
}

/** Reads <procRoot>/meminfo. @throws EnvironmentError when it is missing (procfs not mounted). */
export async function readMemInfo(options: { procRoot?: string } = {}): Promise<MemInfo> {
  const file = path.join(options.procRoot ?? '/proc', 'meminfo');
  const text = await readIfPresent(file);
  if (text === undefined) {
    throw new EnvironmentError(`cannot read ${file}`, { hint: 'mount procfs: mount -t proc proc /proc' });
  }
  return parseMemInfo(text);
}

/** Kernel same-page merging state (/sys/kernel/mm/ksm); page counts are pages, not bytes. */
export interface KsmState {
  /** 0 stopped, 1 running, 2 stopped and unmerged everything. */
  run: number;
  /** Shared pages in use (each backs several virtual pages). */
  pagesShared: number;
  /** Virtual pages deduplicated onto the shared ones: the saving, in pages. */
  pagesSharing: number;
}

/** Transparent huge page settings (/sys/kernel/mm/transparent_hugepage): the selected value of each. */
export interface ThpState {
  enabled: string;
  defrag: string;
}

export interface HostMemoryState {
  ksm: KsmState | null;
  thp: ThpState | null;
}

/** The bracketed choice of a sysfs selector line: "always [madvise] never" -> "madvise"; else the trimmed text. */
export function parseSelectedValue(text: string): string {
  const match = /\[([^\]]+)\]/.exec(text);
  return match ? match[1]! : text.trim();
}

async function readInteger(file: string): Promise<number | undefined> {
  const text = await readIfPresent(file);
  if (text === undefined) return undefined;
  const value = Number(text.trim());
  return Number.isFinite(value) ? value : undefined;
}

/** KSM and THP state; each part is null when the kernel lacks it (its sysfs dir is missing). */
export async function readHostMemoryState(options: { sysRoot?: string } = {}): Promise<HostMemoryState> {
  const mm = path.join(options.sysRoot ?? '/sys', 'kernel/mm');
  const [run, pagesShared, pagesSharing, enabled, defrag] = await Promise.all([
    readInteger(path.join(mm, 'ksm/run')),
    readInteger(path.join(mm, 'ksm/pages_shared')),
    readInteger(path.join(mm, 'ksm/pages_sharing')),
    readIfPresent(path.join(mm, 'transparent_hugepage/enabled')),
    readIfPresent(path.join(mm, 'transparent_hugepage/defrag')),
  ]);
  const ksm = run === undefined ? null : { run, pagesShared: pagesShared ?? 0, pagesSharing: pagesSharing ?? 0 };
  const thp =
    enabled === undefined ? null : { enabled: parseSelectedValue(enabled), defrag: parseSelectedValue(defrag ?? '') };
  return { ksm, thp };
}
