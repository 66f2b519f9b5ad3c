// Memory of a process or a process tree from /proc/<pid>/smaps_rollup (RSS, PSS, USS, swap).

import path from 'node:path';
import { openProcFile, type ProcFileHandle, readKbField, readProcText } from './proc-files.js';
import { listProcessTreeSync, type ProcOptions } from './process-tree.js';

/** Memory of one process, from smaps_rollup (proc(5)); all values in bytes. */
export interface ProcessMemory {
  /** Resident set size: every resident page mapped, shared pages counted in full. */
  rssBytes: number;
  /** Proportional set size: shared pages divided among the processes mapping them. */
  pssBytes: number;
  /** Unique set size: Private_Clean + Private_Dirty (freed if this process exited). */
  ussBytes: number;
  /** Swapped-out anonymous memory. */
  swapBytes: number;
  /** Anonymous resident memory ("Anonymous"); absent on kernels whose smaps_rollup lacks it. */
  anonBytes?: number;
  /**
   * The PSS split by kind (Pss_Anon, Pss_File, Pss_Shmem; Linux 5.x): anonymous, file-backed
   * (binaries, libraries, a VM's kernel file: page cache other processes may share) and shmem
   * (memfd, tmpfs). Absent as a whole when the kernel's smaps_rollup lacks any of the three.
   */
  pssSplit?: PssSplit;
}

/** PSS by kind, in bytes; the three add up to the PSS (within the kernel's per-page rounding). */
export interface PssSplit {
  anonBytes: number;
  fileBytes: number;
  shmemBytes: number;
}

/** The figures a target reports for its instance's processes (MemorySample in targets/types.ts). */
export type ProcessMemoryFigures = Pick<ProcessMemory, 'pssBytes' | 'ussBytes' | 'rssBytes' | 'pssSplit'>;

/** PSS, USS, RSS and the PSS split of `memory`, without swap and pids; pssSplit only when present. */
export function memoryFiguresOf(memory: ProcessMemory): ProcessMemoryFigures {
  const figures: ProcessMemoryFigures = {
    pssBytes: memory.pssBytes,
    ussBytes: memory.ussBytes,
    rssBytes: memory.rssBytes,
  };
  if (memory.pssSplit !== undefined) figures.pssSplit = { ...memory.pssSplit };
  return figures;
}

/** Memory summed over a process tree; `pids` are the processes that were read (vanished ones are left out). */
export interface ProcessTreeMemory extends ProcessMemory {
  pids: number[];
}

/** Parses the text of /proc/<pid>/smaps_rollup. Missing fields count as 0 (anonBytes, pssSplit: left out). */
export function parseSmapsRollup(text: string): ProcessMemory {
  const memory: ProcessMemory = {
    rssBytes: readKbField(text, 'Rss') ?? 0,
    pssBytes: readKbField(text, 'Pss') ?? 0,
    ussBytes: (readKbField(text, 'Private_Clean') ?? 0) + (readKbField(text, 'Private_Dirty') ?? 0),
    swapBytes: readKbField(text, 'Swap') ?? 0,
  };
  const anon = readKbField(text, 'Anonymous');
  if (anon !== undefined) memory.anonBytes = anon;
  const pssAnon = readKbField(text, 'Pss_Anon');
  const pssFile = readKbField(text, 'Pss_File');
  const pssShmem = readKbField(text, 'Pss_Shmem');
  if (pssAnon !== undefined && pssFile !== undefined && pssShmem !== undefined) {
    memory.pssSplit = { anonBytes: pssAnon, fileBytes: pssFile, shmemBytes: pssShmem };
  }
  return memory;
}

/**
 * Memory of one process, or undefined when it has exited. Needs permission to read its
 * smaps_rollup (same user or root). A kernel thread or a zombie has an empty smaps_rollup and reads as zeros.
 */
export async function readProcessMemory(pid: number, options: ProcOptions = {}): Promise<ProcessMemory | undefined> {
  return readProcessMemorySync(pid, options);
}

// Sync inside: see readProcText. The kernel walks the page tables to build smaps_rollup, so a
// multi-GiB process (a QEMU guest) costs more here than a small one.
function readProcessMemorySync(pid: number, options: ProcOptions): ProcessMemory | undefined {
  const text = readProcText(path.join(options.procRoot ?? '/proc', String(pid), 'smaps_rollup'));
  return text === undefined ? undefined : parseSmapsRollup(text);
}

/**
 * Memory summed over rootPid and its descendants. Processes vanishing mid-read are skipped;
 * an exited root gives zeros and `pids: []`. NOTE: summing RSS double-counts shared pages;
 * PSS is the figure that adds up across processes.
 */
export async function readProcessTreeMemory(rootPid: number, options: ProcOptions = {}): Promise<ProcessTreeMemory> {
  return sumProcessMemory(listProcessTreeSync(rootPid, options), (pid) => readProcessMemorySync(pid, options));
}

/**
 * Memory summed over `pids` (each read once; a pid listed twice counts once); vanished processes
 * are skipped and left out of `pids`. pssSplit is kept only when every process read had it.
 */
export function readProcessesMemory(pids: Iterable<number>, options: ProcOptions = {}): ProcessTreeMemory {
  return sumProcessMemory([...new Set(pids)], (pid) => readProcessMemorySync(pid, options));
}

// Sums `read` over pids; the result's `pids` are those read (a pid reading undefined had vanished).
function sumProcessMemory(
  pids: readonly number[],
  read: (pid: number) => ProcessMemory | undefined,
): ProcessTreeMemory {
  const total: ProcessTreeMemory = { pids: [], rssBytes: 0, pssBytes: 0, ussBytes: 0, swapBytes: 0 };
  let split: PssSplit | undefined = { anonBytes: 0, fileBytes: 0, shmemBytes: 0 };
  for (const pid of pids) {
    const memory = read(pid);
    if (memory === undefined) continue;
    total.pids.push(pid);
    total.rssBytes += memory.rssBytes;
    total.pssBytes += memory.pssBytes;
    total.ussBytes += memory.ussBytes;
    total.swapBytes += memory.swapBytes;
    if (memory.anonBytes !== undefined) total.anonBytes = (total.anonBytes ?? 0) + memory.anonBytes;
    if (split === undefined || memory.pssSplit === undefined) {
      split = undefined;
      continue;
    }
    split.anonBytes += memory.pssSplit.anonBytes;
    split.fileBytes += memory.pssSplit.fileBytes;
    split.shmemBytes += memory.pssSplit.shmemBytes;
  }
  // An empty tree (every process gone) reads as zeros, as its PSS does.
  if (split !== undefined) total.pssSplit = split;
  return total;
}

/** Options of {@link createTreeMemoryReader}. */
export interface TreeMemoryReaderOptions extends ProcOptions {
  /** List the processes again after this many reads (a positive integer); default 20 (1 s at 50 ms). */
  relistEvery?: number;
}

/** A sampler's view of one process tree: the pid list and each process's smaps_rollup stay open between reads. */
export interface TreeMemoryReader {
  /** Memory summed over the cached pids; lists them first when due. Synchronous (procfs reads). */
  read(): ProcessTreeMemory;
  /** Makes the next read list the processes again (e.g. the cgroup's task count changed). */
  invalidate(): void;
  /** Closes the files kept open; later reads open, read and close each file. Idempotent. */
  close(): void;
}

/**
 * Reads a process tree's memory repeatedly, calling `listPids` only on the first read, every
 * `relistEvery` reads, after invalidate(), and when a cached pid vanished (then at once, in the same
 * read). Why: listing walks /proc/<pid>/task/<tid>/children of every process, and opening each
 * smaps_rollup walks its path; both cost more than reading the figures when sampled every 50 ms.
 * Between listings a newly forked process is not counted: callers with a cheaper change signal
 * (a cgroup's pids.current) should call invalidate() on it. Call close() when done.
 * @throws RangeError when relistEvery is not a positive integer.
 */
export function createTreeMemoryReader(
  listPids: () => number[],
  options: TreeMemoryReaderOptions = {},
): TreeMemoryReader {
  const relistEvery = options.relistEvery ?? 20;
  if (!Number.isInteger(relistEvery) || relistEvery < 1) {
    throw new RangeError(`Expected relistEvery to be a positive integer, got ${relistEvery} (${typeof relistEvery})`);
  }
  const procRoot = options.procRoot ?? '/proc';
  const files = new Map<number, ProcFileHandle>();
  let closed = false;
  let pids: number[] | undefined;
  let readsSinceList = 0;

  const list = (): number[] => {
    readsSinceList = 0;
    pids = [...new Set(listPids())];
    const keep = new Set(pids);
    for (const [pid, file] of files) {
      if (keep.has(pid)) continue;
      file.close();
      files.delete(pid);
    }
    return pids;
  };

  // One process's smaps_rollup through its kept-open file; undefined once the process is gone.
  const readOne = (pid: number): ProcessMemory | undefined => {
    if (closed) return readProcessMemorySync(pid, options);
    let file = files.get(pid);
    if (file === undefined) {
      file = openProcFile(path.join(procRoot, String(pid), 'smaps_rollup'));
      if (file === undefined) return undefined;
      files.set(pid, file);
    }
    const text = file.read();
    if (text !== undefined) return parseSmapsRollup(text);
    file.close();
    files.delete(pid);
    return undefined;
  };

  return {
    read() {
      const fresh = pids === undefined || readsSinceList >= relistEvery;
      let listed = fresh ? list() : pids!;
      let memory = sumProcessMemory(listed, readOne);
      // A process exited: its children may have been re-parented, so list again at once.
      if (!fresh && memory.pids.length < listed.length) {
        listed = list();
        memory = sumProcessMemory(listed, readOne);
      }
      readsSinceList++;
      return memory;
    },
    invalidate() {
      pids = undefined;
    },
    close() {
      closed = true;
      for (const file of files.values()) file.close();
      files.clear();
    },
  };
}
