// --cpuset-cpus: the cgroup cpuset controller, v1 and v2. Only a container that asks for it gets a
// cpuset cgroup (the launch path of every other container stays as it was).
// NOTE: a new v1 cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and a task cannot
// join it until both are set (cgroup-v1/cpusets.rst); v2 children inherit their parent's.
import path from 'node:path';
import { InputError } from '../../errors.js';
import { type CgroupFs, readOptionalFile, writeControlFile } from './cgroup-fs.js';
import type { Hierarchy } from './layout.js';

/** Largest CPU number accepted in a list (the kernel's NR_CPUS is at most 8192). */
const MAX_CPU = 8191;

/**
 * Parses cpuset list syntax ("0-2,4") to ascending CPU numbers; undefined when malformed.
 * Pure: the kernel's own format (cpuset(7), "List format").
 */
export function parseCpuList(text: string): number[] | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const cpus = new Set<number>();
  for (const part of trimmed.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first || last > MAX_CPU) return undefined;
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** Checks --cpuset-cpus syntax at the edge. @throws InputError naming the flag and the form. */
export function validateCpusetCpus(text: string): void {
  const cpus = parseCpuList(text);
  if (cpus === undefined || cpus.length === 0) {
    throw new InputError(`expected --cpuset-cpus to be a CPU list like 0-1 or 0,2, got '${text}'`, {
      hint: 'CPU numbers and ascending ranges, comma-separated (see /sys/devices/system/cpu/online)',
    });
  }
}

/** The CPUs a cgroup dir may use: v2 cpuset.cpus.effective, v1 cpuset.effective_cpus or cpuset.cpus. */
async function effectiveCpus(fs: CgroupFs, dir: string, version: 'v1' | 'v2'): Promise<string | undefined> {
  const names = version === 'v2' ? ['cpuset.cpus.effective'] : ['cpuset.effective_cpus', 'cpuset.cpus'];
  for (const name of names) {
    const text = await readOptionalFile(fs, path.join(dir, name));
    if (text !== undefined && text.trim() !== '') return text.trim();
  }
  return undefined;
}

/**
 * v1: gives a parent level created empty its parent's CPUs and memory nodes, so containers below
 * can hold tasks. A level that has them already (shared, or set by an admin) is left alone.
 */
export async function fillV1CpusetLevel(fs: CgroupFs, hierarchy: Hierarchy, level: string): Promise<void> {
  if (hierarchy.version !== 'v1' || !hierarchy.controllers.includes('cpuset')) return;
  const above = path.dirname(level);
  for (const name of ['cpuset.cpus', 'cpuset.mems']) {
    const own = (await readOptionalFile(fs, path.join(level, name)))?.trim();
    if (own) continue;
    const inherited = (await readOptionalFile(fs, path.join(above, name)))?.trim();
    if (inherited) await writeControlFile(fs, path.join(level, name), inherited);
  }
}

/**
 * Applies --cpuset-cpus to a container dir, after checking the CPUs are ones its parent may use.
 * @throws InputError when a CPU is outside the parent's set (naming that set).
 */
export async function applyCpusetCpus(
  fs: CgroupFs,
  hierarchy: Hierarchy,
  dir: string,
  cpusText: string,
): Promise<void> {
  const parent = path.dirname(dir);
  const allowedText = await effectiveCpus(fs, parent, hierarchy.version);
  const allowed = allowedText === undefined ? undefined : parseCpuList(allowedText);
  const wanted = parseCpuList(cpusText) ?? [];
  const outside = allowed === undefined ? [] : wanted.filter((cpu) => !allowed.includes(cpu));
  if (outside.length > 0) {
    throw new InputError(
      `expected --cpuset-cpus to name CPUs this host offers (${allowedText}), got '${cpusText}' (CPU ${outside.join(', ')} not there)`,
      { hint: `pick CPUs from ${allowedText}` },
    );
  }
  if (hierarchy.version === 'v1') {
    // Memory nodes first: a v1 cpuset needs both before it can hold a task.
    const mems = (await readOptionalFile(fs, path.join(parent, 'cpuset.mems')))?.trim();
    if (mems) await writeControlFile(fs, path.join(dir, 'cpuset.mems'), mems);
  }
  await writeControlFile(fs, path.join(dir, 'cpuset.cpus'), cpusText.trim());
}
