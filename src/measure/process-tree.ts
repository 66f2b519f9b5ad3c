// Finds a process and all its descendants, to sum memory and I/O over a workload's whole tree.

import path from 'node:path';
import { listNumericEntries, readProcText } from './proc-files.js';

export interface ProcOptions {
  /** Where procfs is mounted; tests point it at a fake tree. Default "/proc". */
  procRoot?: string;
}

/** The parent pid from the text of /proc/<pid>/stat (proc(5)); the comm field may hold spaces and ")". */
export function parseStatPpid(statText: string): number | undefined {
  const close = statText.lastIndexOf(')');
  if (close < 0) return undefined;
  // After "comm)": state, ppid, ...
  const fields = statText.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

// /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN) lists the children each thread forked.
// Returns undefined when the kernel lacks the file, so the caller can fall back to a ppid scan.
function readChildren(procRoot: string, pid: number): number[] | undefined {
  const tids = listNumericEntries(path.join(procRoot, String(pid), 'task'));
  const children: number[] = [];
  let sawFile = false;
  for (const tid of tids) {
    const text = readProcText(path.join(procRoot, String(pid), 'task', String(tid), 'children'));
    if (text === undefined) continue;
    sawFile = true;
    for (const word of text.split(/\s+/)) if (word !== '') children.push(Number(word));
  }
  // A pid with no task dir at all vanished: it has no children rather than an unknown set.
  if (!sawFile && tids.length > 0) return undefined;
  return children;
}

function readParentMap(procRoot: string): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const pid of listNumericEntries(procRoot)) {
    const stat = readProcText(path.join(procRoot, String(pid), 'stat'));
    const ppid = stat === undefined ? undefined : parseStatPpid(stat);
    if (ppid === undefined) continue;
    const siblings = byParent.get(ppid) ?? [];
    siblings.push(pid);
    byParent.set(ppid, siblings);
  }
  return byParent;
}

/**
 * The root pid and all its descendants, root first, then breadth-first. Empty when the root is gone.
 * Uses /proc/<pid>/task/<tid>/children, falling back to a scan of every /proc/<pid>/stat ppid.
 * Processes that exit mid-walk are dropped, not reported as errors.
 */
export async function listProcessTree(rootPid: number, options: ProcOptions = {}): Promise<number[]> {
  return listProcessTreeSync(rootPid, options);
}

/** listProcessTree() without the promise: procfs reads are synchronous anyway (see readProcText). */
export function listProcessTreeSync(rootPid: number, options: ProcOptions = {}): number[] {
  const procRoot = options.procRoot ?? '/proc';
  if (readProcText(path.join(procRoot, String(rootPid), 'stat')) === undefined) return [];
  const seen = new Set<number>([rootPid]);
  const queue = [rootPid];
  let parentMap: Map<number, number[]> | undefined;
  for (let index = 0; index < queue.length; index++) {
    const pid = queue[index]!;
    let children = parentMap ? undefined : readChildren(procRoot, pid);
    if (children === undefined) {
      parentMap ??= readParentMap(procRoot);
      children = parentMap.get(pid) ?? [];
    }
    for (const child of children) {
      if (seen.has(child)) continue;
      seen.add(child);
      queue.push(child);
    }
  }
  return queue;
}
