// The cgroup layer on this host's real cgroupfs (v1 controllers on a hybrid host), as root:
// limits land in the kernel files, a real process is accounted, OOM-killed, and everything is removed.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CgroupHandle, type CgroupManager, openCgroupManager } from '../../src/container/cgroups/index.js';
import { requireHost } from '../support/host.js';

await requireHost('root', 'cgroup-v1-memory');

const CGROUP_ROOT = '/sys/fs/cgroup';
const PARENT = `isobench-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const MIB = 1024 * 1024;

// Runs `script` in sh after sh wrote its own pid into every procs file, so the workload starts in the cgroup.
function spawnInCgroup(handle: CgroupHandle, script: string): ChildProcess {
  const join = 'for f in "$@"; do echo $$ > "$f" || exit 99; done';
  return spawn('sh', ['-c', `${join}; ${script}`, 'sh', ...handle.procsFiles], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function waitExit(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

// Every dir under /sys/fs/cgroup (3 levels deep) whose name contains our test parent.
function findLeftovers(): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const full = path.join(dir, entry.name);
      if (entry.name.includes(PARENT)) found.push(full);
      if (depth > 0) walk(full, depth - 1);
    }
  };
  walk(CGROUP_ROOT, 2);
  return found;
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('cgroups on the real v1 hierarchy', () => {
  let manager: CgroupManager;
  const handles: CgroupHandle[] = [];
  const children: ChildProcess[] = [];

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const handle of handles) await handle.destroy();
    expect(findLeftovers()).toEqual([]);
  });

  async function create(id: string, limits: Parameters<CgroupManager['create']>[1]): Promise<CgroupHandle> {
    manager ??= await openCgroupManager({ parent: PARENT });
    const handle = await manager.create(id, limits);
    handles.push(handle);
    return handle;
  }

  it('detects this hybrid host', async () => {
    manager = await openCgroupManager({ parent: PARENT });
    expect(manager.host.mode).toBe('hybrid');
    expect(manager.host.v1.memory).toBe('/sys/fs/cgroup/memory');
    expect(manager.host.v2?.controllers).toEqual(['hugetlb']);
  });

  it('writes memory 64 MiB, cpus 0.5 and pids 32 into the kernel files', async () => {
    const handle = await create('limits', { memoryBytes: 64 * MIB, cpus: 0.5, pidsLimit: 32 });
    const read = (file: string) => readFileSync(path.join(CGROUP_ROOT, file), 'utf8').trim();
    const dir = `${PARENT}/limits`;
    expect(read(`memory/${dir}/memory.limit_in_bytes`)).toBe(String(64 * MIB));
    if (existsSync(path.join(CGROUP_ROOT, `memory/${dir}/memory.memsw.limit_in_bytes`))) {
      expect(read(`memory/${dir}/memory.memsw.limit_in_bytes`)).toBe(String(64 * MIB));
    }
    expect(read(`cpu/${dir}/cpu.cfs_period_us`)).toBe('100000');
    expect(read(`cpu/${dir}/cpu.cfs_quota_us`)).toBe('50000');
    expect(read(`pids/${dir}/pids.max`)).toBe('32');
    expect(handle.procsFiles).toEqual([
      `/sys/fs/cgroup/memory/${dir}/cgroup.procs`,
      `/sys/fs/cgroup/cpu/${dir}/cgroup.procs`,
      `/sys/fs/cgroup/cpuacct/${dir}/cgroup.procs`,
      `/sys/fs/cgroup/pids/${dir}/cgroup.procs`,
    ]);
    expect(await manager.listIds()).toEqual(['limits']);
  });

  it('accounts a real process and destroy() SIGKILLs it and removes its dirs', async () => {
    const handle = await create('sleeper', { memoryBytes: 64 * MIB });
    const child = spawnInCgroup(handle, 'exec sleep 30');
    children.push(child);
    const exited = waitExit(child);
    await waitFor(async () => (await handle.readPids()).includes(child.pid!), 'sleep to join the cgroup');
    expect(await handle.readPids()).toEqual([child.pid]);
    const stats = await handle.readStats();
    expect(stats.pidsCurrent).toBe(1);
    expect(stats.memoryCurrentBytes).toBeGreaterThan(0);
    expect(stats.memoryPeakBytes).toBeGreaterThanOrEqual(stats.memoryCurrentBytes!);
    expect(typeof stats.memoryAnonBytes).toBe('number');
    expect(typeof stats.memoryFileBytes).toBe('number');
    expect(stats.cpuUsageNs).toBeGreaterThan(0);
    expect(await handle.readOomKills()).toBe(0);

    await handle.destroy();
    expect((await exited).signal).toBe('SIGKILL');
    for (const dir of handle.dirs.slice(0, 4)) expect(existsSync(dir)).toBe(false);
    // The parent stays: the 'limits' container still lives in it.
    expect(existsSync(path.join(CGROUP_ROOT, 'memory', PARENT))).toBe(true);
    await handle.destroy();
  });

  it('gets an allocation over the limit OOM-killed and counts it', async () => {
    const handle = await create('oom', { memoryBytes: 64 * MIB });
    const child = spawnInCgroup(handle, `exec python3 -c 'b = bytearray(200 * 1024 * 1024)'`);
    children.push(child);
    const { signal } = await waitExit(child);
    expect(signal).toBe('SIGKILL');
    expect(await handle.readOomKills()).toBeGreaterThanOrEqual(1);
    expect((await handle.readStats()).memoryPeakBytes).toBeGreaterThan(60 * MIB);
  });

  it('enforces pids.max on forks', async () => {
    const handle = await create('forks', { pidsLimit: 2 });
    const child = spawnInCgroup(handle, 'sleep 5 & sleep 5 & sleep 5 & wait');
    children.push(child);
    const { stderr } = await waitExit(child);
    expect(stderr).toMatch(/fork/i);
  });

  it('survives concurrent create/destroy racing on the shared parent', async () => {
    const churn = async (worker: number) => {
      for (let round = 0; round < 5; round++) {
        const handle = await manager.create(`churn-${worker}-${round}`, { memoryBytes: 8 * MIB });
        await handle.destroy();
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(churn));
    expect((await manager.listIds()).filter((id) => id.startsWith('churn'))).toEqual([]);
  });

  it('destroy() of the last container removes the parent everywhere', async () => {
    for (const handle of handles) await handle.destroy();
    expect(await manager.listIds()).toEqual([]);
    expect(findLeftovers()).toEqual([]);
  });
});
