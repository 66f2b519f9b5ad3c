// Host memory that running instances pin, from /proc/meminfo: anonymous pages, shmem, unreclaimable
// slab, kernel stacks, page tables and per-CPU memory. Unlike MemAvailable these do not move with
// the page cache, so their change over a settled baseline is what N instances cost the host. The
// harness's own change (its heap, its page tables) is taken out with its /proc/self/status figures.

import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { type Clock, systemClock } from './clock.js';
import { type MemInfo, readMemInfo } from './host-memory.js';
import { parseKbTable, readProcText } from './proc-files.js';

/** The meminfo fields an instance pins (proc(5)), in bytes. */
export interface PinnedComponents {
  /** AnonPages: anonymous pages mapped into user page tables (heaps, stacks, guest RAM). */
  anonPagesBytes: number;
  /** Shmem: tmpfs, shared anonymous and memfd pages (memfd-backed guest RAM). */
  shmemBytes: number;
  /** SUnreclaim: slab the kernel cannot reclaim (namespaces, cgroups, mounts, sockets, task structs). */
  sUnreclaimBytes: number;
  /** KernelStack: one kernel stack per thread. */
  kernelStackBytes: number;
  /** PageTables: the processes' page tables. */
  pageTablesBytes: number;
  /** Percpu: per-CPU allocations (cgroup statistics among them). */
  percpuBytes: number;
}

/** Each component and the meminfo key it is read from. */
export const PINNED_MEMINFO_KEYS = {
  anonPagesBytes: 'AnonPages',
  shmemBytes: 'Shmem',
  sUnreclaimBytes: 'SUnreclaim',
  kernelStackBytes: 'KernelStack',
  pageTablesBytes: 'PageTables',
  percpuBytes: 'Percpu',
} as const satisfies Record<keyof PinnedComponents, string>;

const COMPONENTS = Object.keys(PINNED_MEMINFO_KEYS) as Array<keyof PinnedComponents>;

/**
 * The pinned components of a parsed meminfo.
 * @throws EnvironmentError naming the first missing key (a kernel older than 4.x lacks Percpu or SUnreclaim).
 */
export function pinnedComponentsOf(info: Pick<MemInfo, 'raw'>): PinnedComponents {
  const components = {} as PinnedComponents;
  for (const component of COMPONENTS) {
    const key = PINNED_MEMINFO_KEYS[component];
    const bytes = info.raw[key];
    if (bytes === undefined) {
      throw new EnvironmentError(`/proc/meminfo has no ${key} line: host memory by component cannot be read`, {
        hint: 'density needs Linux 4.x or later (meminfo with AnonPages, Shmem, SUnreclaim, KernelStack, PageTables, Percpu)',
      });
    }
    components[component] = bytes;
  }
  return components;
}

/** Reads the pinned components from <procRoot>/meminfo. @throws EnvironmentError (see pinnedComponentsOf, readMemInfo). */
export async function readPinnedComponents(options: { procRoot?: string } = {}): Promise<PinnedComponents> {
  return pinnedComponentsOf(await readMemInfo(options));
}

/** The sum of the components, in bytes. */
export function totalPinnedBytes(components: PinnedComponents): number {
  return COMPONENTS.reduce((sum, component) => sum + components[component], 0);
}

/** Sum over the components of |a - b|, in bytes: a rise in one is not hidden by a fall in another. */
export function pinnedChangeBytes(a: PinnedComponents, b: PinnedComponents): number {
  return COMPONENTS.reduce((sum, component) => sum + Math.abs(a[component] - b[component]), 0);
}

/** The part of the components one process accounts for, from its /proc/<pid>/status; bytes. */
export interface ProcessPinned {
  /** RssAnon: its resident anonymous pages (counted in AnonPages). */
  anonBytes: number;
  /** RssShmem: its resident shmem pages (counted in Shmem). */
  shmemBytes: number;
  /** VmPTE: its page tables (counted in PageTables). */
  pageTablesBytes: number;
}

/** Parses RssAnon, RssShmem and VmPTE of a /proc/<pid>/status text. @throws EnvironmentError when one is missing. */
export function parseStatusPinned(text: string, file = 'status'): ProcessPinned {
  const table = parseKbTable(text);
  const get = (key: string): number => {
    const bytes = table.get(key);
    if (bytes === undefined) {
      throw new EnvironmentError(`${file} has no ${key} line: the harness's own memory cannot be subtracted`, {
        hint: 'density needs Linux 4.5 or later (RssAnon and RssShmem in /proc/<pid>/status)',
      });
    }
    return bytes;
  };
  return { anonBytes: get('RssAnon'), shmemBytes: get('RssShmem'), pageTablesBytes: get('VmPTE') };
}

/**
 * The pinned figures of one process; `self` (default) is the harness. Synchronous: a procfs read.
 * @throws EnvironmentError when the status file is missing or lacks a field.
 */
export function readProcessPinned(options: { pid?: number | 'self'; procRoot?: string } = {}): ProcessPinned {
  const file = path.join(options.procRoot ?? '/proc', String(options.pid ?? 'self'), 'status');
  const text = readProcText(file);
  if (text === undefined) {
    throw new EnvironmentError(`cannot read ${file}`, { hint: 'mount procfs: mount -t proc proc /proc' });
  }
  return parseStatusPinned(text, file);
}

/**
 * What the instances pin: `loaded` less `baseline`, per component, less the harness's own change
 * between `harnessBefore` and `harnessAfter` (its RssAnon from AnonPages, RssShmem from Shmem,
 * VmPTE from PageTables; slab, kernel stack and per-CPU memory have no per-process figure). In
 * bytes; a component can come out negative when the host freed memory meanwhile (noise).
 */
export function pinnedIncrease(
  baseline: PinnedComponents,
  loaded: PinnedComponents,
  harnessBefore: ProcessPinned,
  harnessAfter: ProcessPinned,
): PinnedComponents {
  const increase = {} as PinnedComponents;
  for (const component of COMPONENTS) increase[component] = loaded[component] - baseline[component];
  increase.anonPagesBytes -= harnessAfter.anonBytes - harnessBefore.anonBytes;
  increase.shmemBytes -= harnessAfter.shmemBytes - harnessBefore.shmemBytes;
  increase.pageTablesBytes -= harnessAfter.pageTablesBytes - harnessBefore.pageTablesBytes;
  return increase;
}

/** Options of {@link settleBaseline}. */
export interface SettleOptions {
  /** Two successive readings agree when pinnedChangeBytes of them is at most this; bytes, >= 0. */
  toleranceBytes: number;
  /** Give up after this long and keep the last reading, ms (>= 0). */
  maxWaitMs: number;
  /** Time between readings, ms (> 0). */
  intervalMs: number;
  /** Stops waiting (the last reading is returned, unsettled). */
  signal?: AbortSignal;
  /** Reads the components; default readPinnedComponents(). */
  read?: () => Promise<PinnedComponents>;
  /** Waits ms; default a timer. */
  sleep?: (ms: number) => Promise<void>;
  clock?: Clock;
}

/** The baseline settleBaseline() found. */
export interface SettledBaseline {
  /** True when two successive readings agreed within the tolerance before maxWaitMs. */
  settled: boolean;
  /** Time spent waiting, ms. */
  waitedMs: number;
  /** Readings taken, >= 1. */
  readings: number;
  /** pinnedChangeBytes of the last two readings (0 after a single reading). */
  lastChangeBytes: number;
  /** The last reading: the baseline. */
  components: PinnedComponents;
}

/**
 * Reads the components every intervalMs until two successive readings agree within
 * toleranceBytes (memory freed by the previous iteration, deferred cgroup and namespace teardown,
 * has come back), or maxWaitMs passes. Bounded: it never waits much past maxWaitMs (one interval
 * at most) and says whether it settled.
 * @throws RangeError for a negative tolerance or wait, or a non-positive interval.
 */
export async function settleBaseline(options: SettleOptions): Promise<SettledBaseline> {
  const { toleranceBytes, maxWaitMs, intervalMs, signal } = options;
  if (!(toleranceBytes >= 0) || !(maxWaitMs >= 0) || !(intervalMs > 0)) {
    throw new RangeError(
      `Expected toleranceBytes >= 0, maxWaitMs >= 0 and intervalMs > 0, got ${toleranceBytes}, ${maxWaitMs}, ${intervalMs}`,
    );
  }
  const read = options.read ?? (() => readPinnedComponents());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const clock = options.clock ?? systemClock;
  const startNs = clock.nowNs();
  const elapsedMs = () => Number(clock.nowNs() - startNs) / 1e6;
  let previous = await read();
  let readings = 1;
  let lastChangeBytes = 0;
  while (!signal?.aborted && elapsedMs() < maxWaitMs) {
    await sleep(Math.min(intervalMs, Math.max(1, maxWaitMs - elapsedMs())));
    const current = await read();
    readings++;
    lastChangeBytes = pinnedChangeBytes(previous, current);
    previous = current;
    if (lastChangeBytes <= toleranceBytes) {
      return { settled: true, waitedMs: elapsedMs(), readings, lastChangeBytes, components: current };
    }
  }
  return { settled: false, waitedMs: elapsedMs(), readings, lastChangeBytes, components: previous };
}
