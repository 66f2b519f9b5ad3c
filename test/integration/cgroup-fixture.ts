// Shared by the tests that run on every cgroup layout (the host's, and the v1 and v2 test guests
// of test/guest/): which layout this kernel has, told apart independently of the mount table
// parsing under test, and where a controller's files for a cgroup are expected.
import { type ChildProcess, spawn } from 'node:child_process';
import { type Dirent, readdirSync, readFileSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type { CgroupHandle, CgroupHost, CgroupMode } from '../../src/container/cgroups/index.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';

// statfs(2) f_type magics (linux/magic.h), as systemd tells the layouts apart.
const CGROUP2_SUPER_MAGIC = 0x63677270;
const TMPFS_MAGIC = 0x01021994;

function fsTypeOf(dir: string): number | undefined {
  try {
    return statfsSync(dir).type;
  } catch {
    return undefined;
  }
}

/**
 * The layout this host should be detected as: ISOBENCH_EXPECT_CGROUPS when the test guest's host
 * set it (it booted the guest with that layout), else from the filesystem types under
 * /sys/fs/cgroup: cgroup2 there is v2; a tmpfs is v1, or hybrid with cgroup2 at unified/.
 */
export function expectedCgroupMode(): CgroupMode | undefined {
  const told = process.env.ISOBENCH_EXPECT_CGROUPS;
  if (told === 'v1' || told === 'v2' || told === 'hybrid') return told;
  const type = fsTypeOf(CGROUP_ROOT);
  if (type === CGROUP2_SUPER_MAGIC) return 'v2';
  if (type !== TMPFS_MAGIC) return undefined;
  return fsTypeOf(path.join(CGROUP_ROOT, 'unified')) === CGROUP2_SUPER_MAGIC ? 'hybrid' : 'v1';
}

/** The dir of cgroup `rel` in the hierarchy serving `controller`: its v1 mount, else cgroup2. */
export function controllerDir(host: CgroupHost, controller: string, rel: string): string {
  const mount = host.v1[controller] ?? host.v2?.mount;
  if (mount === undefined) throw new Error(`no hierarchy serves the ${controller} controller`);
  return path.join(mount, rel);
}

/** True when `controller` is served by cgroup2 on this host (no v1 hierarchy has it). */
export function isOnV2(host: CgroupHost, controller: string): boolean {
  return host.v1[controller] === undefined && host.v2 !== undefined;
}

/** Runs `script` in sh after sh wrote its own pid into every procs file, so the workload starts in the cgroup. */
export function spawnInCgroup(handle: CgroupHandle, script: string): ChildProcess {
  const join = 'for f in "$@"; do echo $$ > "$f" || exit 99; done';
  return spawn('sh', ['-c', `${join}; ${script}`, 'sh', ...handle.procsFiles], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Waits until `pid` is in every cgroup.procs of `handle`: spawnInCgroup joins the hierarchies one
 * by one, so on v1 the pid shows in the first one before the last (pids) counts it.
 */
export function waitJoined(handle: CgroupHandle, pid: number): Promise<void> {
  const isIn = (file: string) => readFileSync(file, 'utf8').split('\n').includes(String(pid));
  return waitFor(async () => handle.procsFiles.every(isIn), `pid ${pid} to join every hierarchy of ${handle.id}`);
}

/** The exit of `child`, with what it wrote to stderr. */
export function waitExit(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

/** Polls `condition` every 10 ms for up to `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every dir under /sys/fs/cgroup (3 levels deep) whose name contains `name`. */
export function findCgroupsNamed(name: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const full = path.join(dir, entry.name);
      if (entry.name.includes(name)) found.push(full);
      if (depth > 0) walk(full, depth - 1);
    }
  };
  walk(CGROUP_ROOT, 2);
  return found;
}
