// Pure logic of bench:truth: parsing what the independent readers print (ps, smaps_rollup, cgroup
// files) and turning paired figures into the harness/independent ratios. No I/O here.

/** One row of `ps -e -o pid=,ppid=,args=`. */
export interface PsRow {
  pid: number;
  ppid: number;
  args: string;
}

/** Parses `ps -e -o pid=,ppid=,args=` output; lines that do not start with two integers are skipped. */
export function parsePsTable(text: string): PsRow[] {
  const rows: PsRow[] = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s?(.*)$/.exec(line);
    if (match) rows.push({ pid: Number(match[1]), ppid: Number(match[2]), args: match[3]!.trim() });
  }
  return rows;
}

/** rootPid and every process below it in `rows` (breadth-first; each pid once; root first). */
export function descendantsOf(rows: readonly PsRow[], rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const row of rows) {
    if (row.pid === row.ppid) continue;
    const list = children.get(row.ppid) ?? [];
    list.push(row.pid);
    children.set(row.ppid, list);
  }
  const seen = new Set<number>([rootPid]);
  const order = [rootPid];
  for (let i = 0; i < order.length; i++) {
    for (const child of children.get(order[i]!) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      order.push(child);
    }
  }
  return order;
}

/** The smaps_rollup fields bench:truth compares, in bytes. */
export interface RollupFigures {
  pssBytes: number;
  pssAnonBytes: number;
  pssFileBytes: number;
  pssShmemBytes: number;
  rssBytes: number;
}

const ROLLUP_FIELDS: Record<string, keyof RollupFigures> = {
  Pss: 'pssBytes',
  Pss_Anon: 'pssAnonBytes',
  Pss_File: 'pssFileBytes',
  Pss_Shmem: 'pssShmemBytes',
  Rss: 'rssBytes',
};

/**
 * Sums the fields of several /proc/PID/smaps_rollup texts (one per process of a tree); an empty
 * text (a kernel thread, a process that vanished) adds nothing. Values are `N kB` lines.
 * @throws Error when a known field's value is not `<integer> kB`.
 */
export function sumSmapsRollups(texts: readonly string[]): RollupFigures {
  const total: RollupFigures = { pssBytes: 0, pssAnonBytes: 0, pssFileBytes: 0, pssShmemBytes: 0, rssBytes: 0 };
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = ROLLUP_FIELDS[line.slice(0, colon)];
      if (key === undefined) continue;
      const match = /^\s*(\d+) kB\s*$/.exec(line.slice(colon + 1));
      if (!match) throw new Error(`unexpected smaps_rollup line: ${JSON.stringify(line)}`);
      total[key] += Number(match[1]) * 1024;
    }
  }
  return total;
}

/** Where a process's memory cgroup lives, from /proc/PID/cgroup: v1 memory hierarchy, else the v2 path. */
export function memoryCgroupOf(procCgroupText: string): { version: 1 | 2; path: string } | undefined {
  let v2: string | undefined;
  for (const line of procCgroupText.split('\n')) {
    const [, controllers, cgroupPath] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (cgroupPath === undefined) continue;
    if (controllers!.split(',').includes('memory')) return { version: 1, path: cgroupPath };
    if (controllers === '') v2 = cgroupPath;
  }
  return v2 === undefined ? undefined : { version: 2, path: v2 };
}

/** harness / independent, or null when the independent figure is not a positive finite number. */
export function truthRatio(harness: number, independent: number): number | null {
  if (!Number.isFinite(harness) || !Number.isFinite(independent) || independent <= 0) return null;
  return harness / independent;
}

/** Host and guest durations of one VM-clock run (ns): the small and the large compute step. */
export interface ClockRun {
  guestSmallNs: number;
  guestLargeNs: number;
  hostSmallNs: number;
  hostLargeNs: number;
}

/**
 * Per run, the guest's difference (large - small) and the host's, so fixed costs (serial latency,
 * the step's own set-up) cancel; their ratio is the guest clock's rate against the host's.
 */
export function clockDifferences(run: ClockRun): { guestDiffNs: number; hostDiffNs: number } {
  return { guestDiffNs: run.guestLargeNs - run.guestSmallNs, hostDiffNs: run.hostLargeNs - run.hostSmallNs };
}

/** One probe report `isobench-probe compute rounds=N ns=T ...` → { rounds, ns }; undefined for other lines. */
export function parseComputeLine(line: string): { rounds: number; ns: number } | undefined {
  const match = /^isobench-probe compute rounds=(\d+) ns=(\d+)\b/.exec(line.trim());
  return match ? { rounds: Number(match[1]), ns: Number(match[2]) } : undefined;
}
