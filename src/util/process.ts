// Process liveness and identity: a pid plus its start time (field 22 of /proc/<pid>/stat) names
// one process for the boot's lifetime, so a recycled pid is never mistaken for the one we recorded.
import { readdirSync, readFileSync } from 'node:fs';

/** Fields of /proc/<pid>/stat we use. */
export interface ProcStat {
  /** Single-letter state: R, S, D, Z (zombie), X (dead), ... */
  state: string;
  /** Field 22: start time after boot in clock ticks. */
  startTicks: number;
}

/** Parses a /proc/<pid>/stat line. comm (field 2) may hold spaces and ')' so we split after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 (starttime, proc(5)) is fields[19].
  const state = fields[0];
  const startTicks = Number(fields[19]);
  if (state === undefined || !Number.isSafeInteger(startTicks)) return undefined;
  return { state, startTicks };
}

/** Reads /proc/<pid>/stat; undefined when the process does not exist. */
export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The start time of `pid` in clock ticks since boot, or undefined when it is gone. */
export function readProcessStartTicks(pid: number, procRoot = '/proc'): number | undefined {
  return readProcStat(pid, procRoot)?.startTicks;
}

/** Whether some process `pid` exists (signal 0; EPERM means it exists but is not ours). Pids are reused. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` is the process recorded (same start time) and not a zombie. An unknown pid or
 * start time (the process was gone before we could read it) counts as not alive: pids are reused.
 */
export function isSameProcessAlive(
  pid: number | undefined,
  startTicks: number | null | undefined,
  procRoot = '/proc',
): boolean {
  if (pid === undefined || startTicks === null || startTicks === undefined) return false;
  const stat = readProcStat(pid, procRoot);
  return stat !== undefined && stat.startTicks === startTicks && stat.state !== 'Z' && stat.state !== 'X';
}

/** A process named by pid and its start time (clock ticks since boot), so a reused pid never matches. */
export interface ProcessIdentity {
  pid: number;
  startTicks: number;
}

/** The identity of a live pid, or undefined when it is gone. */
export function identityOf(pid: number): ProcessIdentity | undefined {
  const startTicks = readProcessStartTicks(pid);
  return startTicks === undefined ? undefined : { pid, startTicks };
}

/** This process's identity. */
export function selfIdentity(): ProcessIdentity {
  return identityOf(process.pid) ?? { pid: process.pid, startTicks: -1 };
}

/** Whether that very process still runs (same pid and start time; a zombie counts as gone). */
export function isIdentityAlive(identity: ProcessIdentity): boolean {
  return isSameProcessAlive(identity.pid, identity.startTicks);
}

/** argv of `pid` (the NUL-separated /proc/<pid>/cmdline), or undefined when it is gone or a zombie. */
export function readProcessArgv(pid: number, procRoot = '/proc'): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  if (text === '') return undefined;
  return text.replace(/\0$/, '').split('\0');
}

/**
 * Every live process whose argv satisfies `match`, with its identity: for finding a process that
 * was started but whose pid was never recorded (its recorder was killed in between).
 */
export function findProcessesByArgv(match: (argv: string[]) => boolean, procRoot = '/proc'): ProcessIdentity[] {
  const found: ProcessIdentity[] = [];
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const argv = readProcessArgv(pid, procRoot);
    if (!argv || !match(argv)) continue;
    const startTicks = readProcessStartTicks(pid, procRoot);
    if (startTicks !== undefined) found.push({ pid, startTicks });
  }
  return found;
}

/** USER_HZ: the unit of the times in /proc/<pid>/stat (proc(5)); 100 on every Linux architecture we run on. */
const USER_HZ = 100;

/**
 * CPU time (user + system, ms) of the waited-for children of this process and of their own
 * waited-for descendants: fields 16 and 17 (cutime, cstime) of /proc/self/stat. A build's CPU
 * cost, unlike its wall time, does not grow with the load of other work on the machine.
 */
export function readChildrenCpuMs(procRoot = '/proc'): number | undefined {
  try {
    const text = readFileSync(`${procRoot}/self/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3, so fields 16 and 17 are fields[13] and fields[14].
    const ticks = Number(fields[13]) + Number(fields[14]);
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}
