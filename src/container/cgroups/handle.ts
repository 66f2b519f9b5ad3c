// A container's cgroup once it exists: stats, OOM count, pids, and teardown (kill, rmdir, parent).

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InternalError, TimeoutError } from '../../errors.js';
import { type CgroupFs, errnoCode, readOptionalFile } from './cgroup-fs.js';
import type { CgroupLayout, Controller } from './layout.js';
import { parentLevels } from './layout.js';
import {
  parseFlatKeyed,
  parseIntegerFile,
  parseMemoryStat,
  parseOomControl,
  parsePidList,
} from './parse-cgroup-files.js';
import type { CgroupHandle, CgroupStatFiles, CgroupStats } from './types.js';

/** How long destroy() keeps killing before giving up (processes in D state cannot die). */
const KILL_ROUNDS = 200;
const KILL_ROUND_DELAY_MS = 10;
/** rmdir of a just-emptied cgroup can briefly fail with EBUSY while exiting tasks are released. */
const RMDIR_ATTEMPTS = 100;

/** The container dir of every hierarchy, v1 first. */
export function containerDirs(layout: CgroupLayout, parentSegments: string[], id: string): string[] {
  return layout.hierarchies.map((h) => path.join(h.mount, ...parentSegments, id));
}

/** Parent levels of every hierarchy, deepest first (rmdir order). */
export function parentDirsDeepestFirst(layout: CgroupLayout, parentSegments: string[]): string[] {
  const levels = layout.hierarchies.map((h) => parentLevels(h.mount, parentSegments).reverse());
  const ordered: string[] = [];
  for (let depth = 0; depth < parentSegments.length; depth++) {
    for (const hierarchyLevels of levels) ordered.push(hierarchyLevels[depth]!);
  }
  return ordered;
}

/** rmdir that tolerates a dir already gone and retries the transient EBUSY of a dying cgroup. */
export async function removeCgroupDir(fs: CgroupFs, dir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= RMDIR_ATTEMPTS) throw error;
      await sleep(KILL_ROUND_DELAY_MS);
    }
  }
}

/** rmdir of a shared parent: it stays when another container (or a creator racing us) uses it. */
export async function removeParentDir(fs: CgroupFs, dir: string): Promise<void> {
  try {
    await fs.rmdir(dir);
  } catch (error) {
    const code = errnoCode(error);
    if (code !== 'ENOENT' && code !== 'EBUSY' && code !== 'ENOTEMPTY') throw error;
  }
}

export interface HandleOptions {
  id: string;
  layout: CgroupLayout;
  parentSegments: string[];
  fs: CgroupFs;
}

/** Builds the handle of container `id` (the dirs need not exist: reads of missing files yield nothing). */
export function createCgroupHandle({ id, layout, parentSegments, fs }: HandleOptions): CgroupHandle {
  const dirs = containerDirs(layout, parentSegments, id);
  const parents = parentDirsDeepestFirst(layout, parentSegments);
  const dirOf = (controller: Controller): { dir: string; version: 'v1' | 'v2' } | undefined => {
    const hierarchy = layout.placement[controller];
    return hierarchy && { dir: path.join(hierarchy.mount, ...parentSegments, id), version: hierarchy.version };
  };
  const readNumber = async (file: string) => {
    const text = await readOptionalFile(fs, file);
    return text === undefined ? undefined : parseIntegerFile(text);
  };

  const readPids = async (): Promise<number[]> => {
    const lists = await Promise.all(dirs.map((dir) => readOptionalFile(fs, path.join(dir, 'cgroup.procs'))));
    return parsePidList(lists.join('\n'));
  };

  const statFiles = (): CgroupStatFiles => {
    const files: CgroupStatFiles = {};
    const memory = dirOf('memory');
    if (memory) {
      const v1 = memory.version === 'v1';
      files.memoryCurrent = path.join(memory.dir, v1 ? 'memory.usage_in_bytes' : 'memory.current');
      files.memoryPeak = path.join(memory.dir, v1 ? 'memory.max_usage_in_bytes' : 'memory.peak');
      files.memoryStat = path.join(memory.dir, 'memory.stat');
    }
    const pids = dirOf('pids');
    if (pids) files.pidsCurrent = path.join(pids.dir, 'pids.current');
    return files;
  };

  const readStats = async (): Promise<CgroupStats> => {
    const stats: CgroupStats = {};
    const set = (key: keyof CgroupStats, value: number | undefined) => {
      if (value !== undefined) stats[key] = value;
    };
    const files = statFiles();
    if (files.memoryCurrent && files.memoryPeak && files.memoryStat) {
      set('memoryCurrentBytes', await readNumber(files.memoryCurrent));
      set('memoryPeakBytes', await readNumber(files.memoryPeak));
      const statText = await readOptionalFile(fs, files.memoryStat);
      if (statText !== undefined) {
        const stat = parseMemoryStat(statText);
        set('memoryAnonBytes', stat.anonBytes);
        set('memoryFileBytes', stat.fileBytes);
      }
    }
    const cpuacct = dirOf('cpuacct');
    if (cpuacct?.version === 'v1') set('cpuUsageNs', await readNumber(path.join(cpuacct.dir, 'cpuacct.usage')));
    if (cpuacct?.version === 'v2') {
      const text = await readOptionalFile(fs, path.join(cpuacct.dir, 'cpu.stat'));
      const usageUs = text === undefined ? undefined : parseFlatKeyed(text).usage_usec;
      set('cpuUsageNs', usageUs === undefined ? undefined : usageUs * 1000);
    }
    if (files.pidsCurrent) set('pidsCurrent', await readNumber(files.pidsCurrent));
    return stats;
  };

  const readOomKills = async (): Promise<number> => {
    const memory = dirOf('memory');
    if (!memory) return 0;
    if (memory.version === 'v1') {
      const text = await readOptionalFile(fs, path.join(memory.dir, 'memory.oom_control'));
      return text === undefined ? 0 : (parseOomControl(text).oomKills ?? 0);
    }
    const text = await readOptionalFile(fs, path.join(memory.dir, 'memory.events'));
    return text === undefined ? 0 : (parseFlatKeyed(text).oom_kill ?? 0);
  };

  // Loop because a process may fork between our read of cgroup.procs and its kill.
  const killAll = async (): Promise<void> => {
    const v2Dir = dirs[layout.hierarchies.findIndex((h) => h.version === 'v2')];
    for (let round = 0; round < KILL_ROUNDS; round++) {
      const pids = await readPids();
      if (pids.length === 0) return;
      if (pids.includes(process.pid)) {
        throw new InternalError(`refusing to SIGKILL our own process ${process.pid}: it is in cgroup ${id}`);
      }
      // cgroup.kill (Linux 5.14+) kills the whole v2 subtree atomically, forks included.
      if (v2Dir !== undefined && (await fs.exists(path.join(v2Dir, 'cgroup.kill')))) {
        await fs.writeFile(path.join(v2Dir, 'cgroup.kill'), '1').catch(() => undefined);
      }
      for (const pid of pids) {
        try {
          fs.kill(pid, 'SIGKILL');
        } catch (error) {
          if (errnoCode(error) !== 'ESRCH') throw error;
        }
      }
      await sleep(KILL_ROUND_DELAY_MS);
    }
    const left = await readPids();
    if (left.length > 0) {
      throw new TimeoutError(`cgroup ${id} still holds pids ${left.join(', ')} after SIGKILL for 2 s`, {
        hint: `a process may be stuck in uninterruptible sleep (state D in /proc/<pid>/stat); once it exits, rmdir ${dirs.join(' ')}`,
      });
    }
  };

  const destroy = async (): Promise<void> => {
    await killAll();
    for (const dir of dirs) await removeCgroupDir(fs, dir);
    for (const dir of parents) await removeParentDir(fs, dir);
  };

  return {
    id,
    procsFiles: dirs.map((dir) => path.join(dir, 'cgroup.procs')),
    dirs: [...dirs, ...parents],
    readStats,
    statFiles,
    readOomKills,
    readPids,
    destroy,
  };
}
