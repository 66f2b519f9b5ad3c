// Bytes a process (or tree) read and wrote, from /proc/<pid>/io (proc(5)).

import path from 'node:path';
import { readProcText } from './proc-files.js';
import { listProcessTreeSync, type ProcOptions } from './process-tree.js';

/** I/O counters of a process, in bytes, cumulative since it started. */
export interface ProcessIo {
  /** Bytes passed to read-like syscalls (page cache hits included). */
  rcharBytes: number;
  /** Bytes passed to write-like syscalls. */
  wcharBytes: number;
  /** Bytes the process caused to be fetched from storage. */
  readBytes: number;
  /** Bytes the process caused to be sent to storage (before cancelled writeback). */
  writeBytes: number;
}

/** I/O summed over a tree; `pids` are those read (vanished ones left out). NOTE: exited children are not counted. */
export interface ProcessTreeIo extends ProcessIo {
  pids: number[];
}

/** Parses the text of /proc/<pid>/io; a missing field reads as 0. */
export function parseProcessIo(text: string): ProcessIo {
  const table = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)\s*$/.exec(line);
    if (match) table.set(match[1]!, Number(match[2]));
  }
  return {
    rcharBytes: table.get('rchar') ?? 0,
    wcharBytes: table.get('wchar') ?? 0,
    readBytes: table.get('read_bytes') ?? 0,
    writeBytes: table.get('write_bytes') ?? 0,
  };
}

/** I/O counters of one process, or undefined when it exited. Reading another user's needs root (ptrace access). */
export async function readProcessIo(pid: number, options: ProcOptions = {}): Promise<ProcessIo | undefined> {
  return readProcessIoSync(pid, options);
}

// Sync inside: see readProcText.
function readProcessIoSync(pid: number, options: ProcOptions): ProcessIo | undefined {
  const text = readProcText(path.join(options.procRoot ?? '/proc', String(pid), 'io'));
  return text === undefined ? undefined : parseProcessIo(text);
}

/** I/O counters summed over rootPid and its live descendants; vanished processes are skipped. */
export async function readProcessTreeIo(rootPid: number, options: ProcOptions = {}): Promise<ProcessTreeIo> {
  const tree = listProcessTreeSync(rootPid, options);
  const readings = tree.map((pid) => readProcessIoSync(pid, options));
  const total: ProcessTreeIo = { pids: [], rcharBytes: 0, wcharBytes: 0, readBytes: 0, writeBytes: 0 };
  readings.forEach((io, index) => {
    if (io === undefined) return;
    total.pids.push(tree[index]!);
    total.rcharBytes += io.rcharBytes;
    total.wcharBytes += io.wcharBytes;
    total.readBytes += io.readBytes;
    total.writeBytes += io.writeBytes;
  });
  return total;
}
