// Process identity helpers: a pid plus its start time (from /proc/<pid>/stat) names one process
// for good, so a recycled pid is never mistaken for the VM's owner or its QEMU.
import { promises as fs } from 'node:fs';

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined if gone. */
export async function readProcessStartTicks(pid: number): Promise<number | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number.parseInt(fields[19] ?? '', 10);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** True when the process `pid` started at `startTicks` still exists (and is not a zombie). */
export async function isSameProcessAlive(pid: number, startTicks: number): Promise<boolean> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return false;
    return Number.parseInt(fields[19] ?? '', 10) === startTicks;
  } catch {
    return false;
  }
}

/** Looks for an executable in PATH; returns its path or undefined. */
export async function findInPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (dir === '') continue;
    const candidate = `${dir}/${name}`;
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}
