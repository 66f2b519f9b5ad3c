// The cgroup manager on a fake v1 host (cpu,cpuacct co-mounted): files written, stats, teardown, rollback.

import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/container/cgroups/index.js';
import { createCgroupManager } from '../../src/container/cgroups/manager.js';
import type { CgroupManager } from '../../src/container/cgroups/types.js';
import { ConflictError, EnvironmentError, InputError, TimeoutError } from '../../src/errors.js';
import { FakeCgroupTree, readFixture } from '../fixtures/cgroupfs/fake-cgroupfs.js';

let tree: FakeCgroupTree;
let manager: CgroupManager;

async function setUp(options: { swapAccounting?: boolean } = {}) {
  tree = await FakeCgroupTree.create('v1', options);
  const host = await detectCgroupHost(tree.root);
  manager = createCgroupManager({ host, parentSegments: ['isobench'], fs: tree, hostCpuCount: 2 });
}

beforeEach(() => setUp());
afterEach(() => tree.cleanup());

const LIMITS = { memoryBytes: 64 * 1024 * 1024, cpus: 0.5, pidsLimit: 32 };

describe('create on v1', () => {
  it('makes one dir per hierarchy and writes the limits in order (memsw after memory)', async () => {
    const handle = await manager.create('c1', LIMITS);
    expect(tree.findDirs('isobench')).toEqual([
      'sys/fs/cgroup/cpu,cpuacct/isobench',
      'sys/fs/cgroup/cpu,cpuacct/isobench/c1',
      'sys/fs/cgroup/memory/isobench',
      'sys/fs/cgroup/memory/isobench/c1',
      'sys/fs/cgroup/pids/isobench',
      'sys/fs/cgroup/pids/isobench/c1',
    ]);
    expect(tree.writes).toEqual([
      ['sys/fs/cgroup/memory/isobench/c1/memory.limit_in_bytes', '67108864'],
      ['sys/fs/cgroup/memory/isobench/c1/memory.memsw.limit_in_bytes', '67108864'],
      ['sys/fs/cgroup/cpu,cpuacct/isobench/c1/cpu.cfs_period_us', '100000'],
      ['sys/fs/cgroup/cpu,cpuacct/isobench/c1/cpu.cfs_quota_us', '50000'],
      ['sys/fs/cgroup/pids/isobench/c1/pids.max', '32'],
    ]);
    expect(handle.procsFiles.map((f) => tree.rel(f))).toEqual([
      'sys/fs/cgroup/memory/isobench/c1/cgroup.procs',
      'sys/fs/cgroup/cpu,cpuacct/isobench/c1/cgroup.procs',
      'sys/fs/cgroup/pids/isobench/c1/cgroup.procs',
    ]);
    expect(handle.dirs.map((d) => tree.rel(d))).toEqual([
      'sys/fs/cgroup/memory/isobench/c1',
      'sys/fs/cgroup/cpu,cpuacct/isobench/c1',
      'sys/fs/cgroup/pids/isobench/c1',
      'sys/fs/cgroup/memory/isobench',
      'sys/fs/cgroup/cpu,cpuacct/isobench',
      'sys/fs/cgroup/pids/isobench',
    ]);
  });

  it('skips memsw when swap accounting is off, and writes nothing without limits', async () => {
    await tree.cleanup();
    await setUp({ swapAccounting: false });
    await manager.create('c1', { memoryBytes: 8 * 1024 * 1024 });
    await manager.create('c2', {});
    expect(tree.writes).toEqual([['sys/fs/cgroup/memory/isobench/c1/memory.limit_in_bytes', '8388608']]);
  });

  it('validates limits before touching anything', async () => {
    await expect(manager.create('c1', { memoryBytes: 1024 })).rejects.toThrow(InputError);
    await expect(manager.create('../escape', {})).rejects.toThrow(InputError);
    expect(tree.findDirs('isobench')).toEqual([]);
  });

  it('rolls back every dir, parents included, when a write fails midway', async () => {
    tree.failWrite = (file) =>
      file.endsWith('cpu.cfs_quota_us') ? Object.assign(new Error('EINVAL'), { code: 'EINVAL' }) : undefined;
    const failure = manager.create('c1', LIMITS);
    await expect(failure).rejects.toThrow(EnvironmentError);
    await expect(failure).rejects.toThrow(/cannot write '50000' to .*cpu\.cfs_quota_us: EINVAL/);
    expect(tree.findDirs('isobench')).toEqual([]);
  });

  it('rolls back but keeps the parent when another container lives there', async () => {
    await manager.create('c0', {});
    tree.failWrite = (file) =>
      file.endsWith('pids.max') ? Object.assign(new Error('x'), { code: 'EINVAL' }) : undefined;
    await expect(manager.create('c1', LIMITS)).rejects.toThrow(EnvironmentError);
    expect(await manager.listIds()).toEqual(['c0']);
  });

  it('refuses an id whose cgroup exists and leaves that cgroup alone', async () => {
    await manager.create('c1', {});
    await expect(manager.create('c1', {})).rejects.toThrow(ConflictError);
    expect(tree.findDirs('c1')).toHaveLength(3);
  });
});

describe('handle on v1', () => {
  it('reads stats from the v1 files (memory.stat captured on this host)', async () => {
    const handle = await manager.create('c1', LIMITS);
    const dir = (sub: string) => tree.at(`sys/fs/cgroup/${sub}/isobench/c1`);
    writeFileSync(`${dir('memory')}/memory.usage_in_bytes`, '36634624\n');
    writeFileSync(`${dir('memory')}/memory.max_usage_in_bytes`, '67108864\n');
    writeFileSync(`${dir('memory')}/memory.stat`, readFixture('v1-memory.stat'));
    writeFileSync(`${dir('cpu,cpuacct')}/cpuacct.usage`, '123456789\n');
    writeFileSync(`${dir('pids')}/pids.current`, '3\n');
    expect(await handle.readStats()).toEqual({
      memoryCurrentBytes: 36634624,
      memoryPeakBytes: 67108864,
      memoryAnonBytes: 28020736,
      memoryFileBytes: 8552448,
      cpuUsageNs: 123456789,
      pidsCurrent: 3,
    });
    expect(await handle.readOomKills()).toBe(0);
    writeFileSync(`${dir('memory')}/memory.oom_control`, readFixture('v1-memory.oom_control'));
    expect(await handle.readOomKills()).toBe(1);
  });

  it('reads pids of every controller dir; destroy kills them and removes all dirs and the parent', async () => {
    const handle = await manager.create('c1', LIMITS);
    tree.addPid(handle.dirs[1]!, 4242);
    tree.addPid(handle.dirs[0]!, 4242);
    tree.addPid(handle.dirs[2]!, 4343);
    expect(await handle.readPids()).toEqual([4242, 4343]);
    await handle.destroy();
    expect(tree.killed).toEqual([4242, 4343]);
    expect(tree.findDirs('isobench')).toEqual([]);
    expect(await handle.readStats()).toEqual({});
    await handle.destroy();
    expect(await manager.listIds()).toEqual([]);
  });

  it('keeps the parent while another container exists, removes it with the last one', async () => {
    const first = await manager.create('c1', {});
    const second = await manager.create('c2', {});
    expect(await manager.listIds()).toEqual(['c1', 'c2']);
    await first.destroy();
    expect(await manager.listIds()).toEqual(['c2']);
    await manager.open('c2').destroy();
    expect(second.id).toBe('c2');
    expect(tree.findDirs('isobench')).toEqual([]);
  });

  it('gives up with the pids named when a process cannot be killed', async () => {
    const handle = await manager.create('c1', {});
    tree.addPid(handle.dirs[1]!, 777);
    tree.unkillable.add(777);
    const failure = handle.destroy();
    await expect(failure).rejects.toThrow(TimeoutError);
    await expect(failure).rejects.toThrow('still holds pids 777');
    // Once the task is gone, destroy() finishes the job.
    tree.unkillable.delete(777);
    await handle.destroy();
    expect(tree.findDirs('isobench')).toEqual([]);
  });

  it('fails to limit pids when no hierarchy has the controller, naming it and the fix', async () => {
    const host = await detectCgroupHost(tree.root);
    delete host.v1.pids;
    const noPids = createCgroupManager({ host, parentSegments: ['isobench'], fs: tree, hostCpuCount: 2 });
    const failure = noPids.create('c1', { pidsLimit: 10 });
    await expect(failure).rejects.toThrow(EnvironmentError);
    await expect(failure).rejects.toThrow(
      "--pids-limit needs the cgroup 'pids' controller, which this host has neither as a v1 hierarchy and there is no cgroup2 mount",
    );
    // Accounting without the controller is just absent.
    const handle = await noPids.create('c1', {});
    expect(Object.keys(await handle.readStats()).sort()).toEqual([
      'cpuUsageNs',
      'memoryAnonBytes',
      'memoryCurrentBytes',
      'memoryFileBytes',
      'memoryPeakBytes',
    ]);
  });
});
