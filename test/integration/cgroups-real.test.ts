// The cgroup layer on this kernel's real cgroupfs, as root, whatever its layout (hybrid on the
// development hosts; v2 and v1 in the test guests of test/guest/): detection, limits landing in
// the kernel files of each version, a real process accounted and OOM-killed, and nothing left.

import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CgroupHandle,
  type CgroupHost,
  type CgroupManager,
  detectCgroupHost,
  openCgroupManager,
} from '../../src/container/cgroups/index.js';
import { requireHost } from '../support/host.js';
import {
  CGROUP_ROOT,
  controllerDir,
  expectedCgroupMode,
  findCgroupsNamed,
  isOnV2,
  spawnInCgroup,
  waitExit,
  waitJoined,
} from './cgroup-fixture.js';
import { ensureProbeBuilt } from './targets-fixture.js';

await requireHost('root');

const isRoot = process.getuid?.() === 0;
const detected = await detectCgroupHost().catch(() => undefined);
const hasMemory =
  detected !== undefined && (detected.v1.memory !== undefined || detected.v2?.controllers.includes('memory'));
const PARENT = `isobench-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const MIB = 1024 * 1024;

describe.skipIf(!isRoot || !hasMemory)('cgroups on the real hierarchy (needs root and the memory controller)', () => {
  let manager: CgroupManager;
  let host: CgroupHost;
  const handles: CgroupHandle[] = [];
  const children: ChildProcess[] = [];
  const read = (controller: string, rel: string, file: string) =>
    readFileSync(path.join(controllerDir(host, controller, rel), file), 'utf8').trim();

  beforeAll(async () => {
    manager = await openCgroupManager({ parent: PARENT });
    host = manager.host;
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const handle of handles) await handle.destroy();
    expect(findCgroupsNamed(PARENT)).toEqual([]);
  });

  async function create(id: string, limits: Parameters<CgroupManager['create']>[1]): Promise<CgroupHandle> {
    manager ??= await openCgroupManager({ parent: PARENT });
    const handle = await manager.create(id, limits);
    handles.push(handle);
    return handle;
  }

  it('detects the layout this kernel has, with the controllers where they are mounted', () => {
    expect(host.mode).toBe(expectedCgroupMode());
    for (const controller of ['memory', 'cpu', 'pids']) {
      const v1Mount = host.v1[controller];
      // A v1 hierarchy is a dir of /sys/fs/cgroup named by its controllers (e.g. cpu,cpuacct).
      if (v1Mount !== undefined) expect(path.basename(v1Mount).split(',')).toContain(controller);
      else expect(host.v2?.controllers).toContain(controller);
    }
    if (host.mode === 'v2') expect(host.v2?.mount).toBe(CGROUP_ROOT);
    if (host.mode === 'v1') expect(host.v2).toBeUndefined();
  });

  it('writes memory 64 MiB, cpus 0.5 and pids 32 into the kernel files', async () => {
    const handle = await create('limits', { memoryBytes: 64 * MIB, cpus: 0.5, pidsLimit: 32 });
    const rel = `${PARENT}/limits`;
    if (isOnV2(host, 'memory')) {
      expect(read('memory', rel, 'memory.max')).toBe(String(64 * MIB));
      if (existsSync(path.join(controllerDir(host, 'memory', rel), 'memory.swap.max'))) {
        expect(read('memory', rel, 'memory.swap.max')).toBe('0');
      }
    } else {
      expect(read('memory', rel, 'memory.limit_in_bytes')).toBe(String(64 * MIB));
      if (existsSync(path.join(controllerDir(host, 'memory', rel), 'memory.memsw.limit_in_bytes'))) {
        expect(read('memory', rel, 'memory.memsw.limit_in_bytes')).toBe(String(64 * MIB));
      }
    }
    if (isOnV2(host, 'cpu')) {
      expect(read('cpu', rel, 'cpu.max')).toBe('50000 100000');
    } else {
      expect(read('cpu', rel, 'cpu.cfs_period_us')).toBe('100000');
      expect(read('cpu', rel, 'cpu.cfs_quota_us')).toBe('50000');
    }
    expect(read('pids', rel, 'pids.max')).toBe('32');
    // One cgroup.procs per distinct hierarchy the controllers live in, v1 ones first.
    const dirs = [...new Set(['memory', 'cpu', 'cpuacct', 'pids'].map((c) => controllerDir(host, c, rel)))];
    const v1First = [
      ...dirs.filter((d) => !d.startsWith(`${host.v2?.mount}/`)),
      ...dirs.filter((d) => d.startsWith(`${host.v2?.mount}/`)),
    ];
    expect(handle.procsFiles).toEqual(v1First.map((dir) => path.join(dir, 'cgroup.procs')));
    expect(await manager.listIds()).toEqual(['limits']);
  });

  it('accounts a real process and destroy() SIGKILLs it and removes its dirs', async () => {
    const handle = await create('sleeper', { memoryBytes: 64 * MIB });
    const child = spawnInCgroup(handle, 'exec sleep 30');
    children.push(child);
    const exited = waitExit(child);
    await waitJoined(handle, child.pid!);
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
    for (const dir of handle.dirs.slice(0, handle.procsFiles.length)) expect(existsSync(dir)).toBe(false);
    // The parent stays: the 'limits' container still lives in it.
    expect(existsSync(controllerDir(host, 'memory', PARENT))).toBe(true);
    await handle.destroy();
  });

  it('gets an allocation over the limit OOM-killed and counts it', async () => {
    const handle = await create('oom', { memoryBytes: 64 * MIB });
    const child = spawnInCgroup(handle, `exec ${ensureProbeBuilt()} alloc=200`);
    children.push(child);
    const { signal } = await waitExit(child);
    expect(signal).toBe('SIGKILL');
    expect(await handle.readOomKills()).toBeGreaterThanOrEqual(1);
    // v1 has max_usage_in_bytes; v2 has memory.peak from Linux 5.19.
    if (existsSync(handle.statFiles().memoryPeak!)) {
      expect((await handle.readStats()).memoryPeakBytes).toBeGreaterThan(60 * MIB);
    }
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
    expect(findCgroupsNamed(PARENT)).toEqual([]);
  });
});
