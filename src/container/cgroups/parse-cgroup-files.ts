// Pure parsers for cgroupfs control files (v1 and v2 share the "key value" line format).

/**
 * Parses a flat-keyed file ("key value" per line: memory.stat, cpu.stat, memory.events). Non-numeric
 * values are skipped; values beyond 2^53 (v1 "unlimited" is 2^63-4096) are the nearest double.
 */
export function parseFlatKeyed(text: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value, extra] = line.trim().split(/\s+/);
    if (!key || value === undefined || extra !== undefined || !/^-?\d+$/.test(value)) continue;
    fields[key] = Number(value);
  }
  return fields;
}

export interface MemoryStat {
  /** Anonymous memory in bytes: v1 total_rss (hierarchical) or rss, v2 anon. */
  anonBytes?: number;
  /** Page cache in bytes (shmem included): v1 total_cache or cache, v2 file. */
  fileBytes?: number;
  /** Every numeric field as the kernel named it. */
  fields: Record<string, number>;
}

/** Parses memory.stat of either version; v1's hierarchical total_* fields win over the local ones. */
export function parseMemoryStat(text: string): MemoryStat {
  const fields = parseFlatKeyed(text);
  return { fields, ...memoryStatFigures((key) => fields[key]) };
}

// v1 hierarchical totals first, then v1 local, then v2 names.
const ANON_KEYS = ['total_rss', 'rss', 'anon'];
const FILE_KEYS = ['total_cache', 'cache', 'file'];

/** anon/file bytes from memory.stat fields looked up by `get`, with the key preference above. */
function memoryStatFigures(get: (key: string) => number | undefined): Pick<MemoryStat, 'anonBytes' | 'fileBytes'> {
  const pick = (keys: string[]) => keys.map(get).find((value) => value !== undefined);
  const figures: Pick<MemoryStat, 'anonBytes' | 'fileBytes'> = {};
  const anonBytes = pick(ANON_KEYS);
  const fileBytes = pick(FILE_KEYS);
  if (anonBytes !== undefined) figures.anonBytes = anonBytes;
  if (fileBytes !== undefined) figures.fileBytes = fileBytes;
  return figures;
}

/**
 * memory.stat's anon and file bytes without parsing its other ~40 lines (a sampler reads it every
 * 50 ms); same values as parseMemoryStat.
 */
export function readMemoryStatFigures(text: string): Pick<MemoryStat, 'anonBytes' | 'fileBytes'> {
  return memoryStatFigures((key) => readFlatKeyedField(text, key));
}

/** One "key value" line of a flat-keyed cgroup file; undefined when absent or not a whole number. */
export function readFlatKeyedField(text: string, key: string): number | undefined {
  let start = 0;
  if (!text.startsWith(`${key} `)) {
    start = text.indexOf(`\n${key} `) + 1;
    if (start === 0) return undefined;
  }
  const end = text.indexOf('\n', start);
  return parseIntegerFile(text.slice(start + key.length + 1, end < 0 ? text.length : end));
}

export interface OomControl {
  oomKillDisable: boolean;
  underOom: boolean;
  /** OOM kills in this cgroup; absent before Linux 4.13, which did not report it. */
  oomKills?: number;
}

/** Parses v1 memory.oom_control ("oom_kill_disable 0\nunder_oom 0\noom_kill 1"). */
export function parseOomControl(text: string): OomControl {
  const fields = parseFlatKeyed(text);
  const control: OomControl = { oomKillDisable: fields.oom_kill_disable === 1, underOom: fields.under_oom === 1 };
  if (fields.oom_kill !== undefined) control.oomKills = fields.oom_kill;
  return control;
}

/** Parses cgroup.procs: one pid per line, returned ascending without duplicates. */
export function parsePidList(text: string): number[] {
  const pids = new Set<number>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (/^\d+$/.test(trimmed)) pids.add(Number(trimmed));
  }
  return [...pids].sort((a, b) => a - b);
}

/** Parses a single-integer file (memory.current, pids.current, cpuacct.usage); undefined for "max" or garbage. */
export function parseIntegerFile(text: string): number | undefined {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : undefined;
}
