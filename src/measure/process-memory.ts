// Memory of a process or a process tree from /proc/<pid>/smaps_rollup (RSS, PSS, USS, swap).

import path from 'node:path';
import { parseKbTable, readProcText } from './proc-files.js';
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
}

/** Memory summed over a process tree; `pids` are the processes that were read (vanished ones are left out). */
export interface ProcessTreeMemory extends ProcessMemory {
  pids: number[];
}

/** Parses the text of /proc/<pid>/smaps_rollup. Missing fields count as 0 (anonBytes: left out). */
export function parseSmapsRollup(text: string): ProcessMemory {
  const table = parseKbTable(text);
  const memory: ProcessMemory = {
    rssBytes: table.get('Rss') ?? 0,
    pssBytes: table.get('Pss') ?? 0,
    ussBytes: (table.get('Private_Clean') ?? 0) + (table.get('Private_Dirty') ?? 0),
    swapBytes: table.get('Swap') ?? 0,
  };
  const anon = table.get('Anonymous');
  if (anon !== undefined) memory.anonBytes = anon;
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
  const tree = listProcessTreeSync(rootPid, options);
  const readings = tree.map((pid) => readProcessMemorySync(pid, options));
  const total: ProcessTreeMemory = { pids: [], rssBytes: 0, pssBytes: 0, ussBytes: 0, swapBytes: 0 };
  let anonSeen = false;
  readings.forEach((memory, index) => {
    if (memory === undefined) return;
    total.pids.push(tree[index]!);
    total.rssBytes += memory.rssBytes;
    total.pssBytes += memory.pssBytes;
    total.ussBytes += memory.ussBytes;
    total.swapBytes += memory.swapBytes;
    if (memory.anonBytes !== undefined) {
      anonSeen = true;
      total.anonBytes = (total.anonBytes ?? 0) + memory.anonBytes;
    }
  });
  if (!anonSeen) delete total.anonBytes;
  return total;
}
