// The cgroup manager on fake hybrid hosts: this host's layout (cgroup2 with only hugetlb), a
// controller served by cgroup2 next to v1 ones, and the race with a parent being removed.

import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCgroupHost, openCgroupManager } from '../../src/container/cgroups/index.js';
import { createCgroupManager } from '../../src/container/cgroups/manager.js';
import { InputError } from '../../src/errors.js';
import { FakeCgroupTree } from '../fixtures/cgroupfs/fake-cgroupfs.js';

let tree: FakeCgroupTree;
afterEach(() => tree.cleanup());

describe('hybrid with only hugetlb on cgroup2 (this host)', () => {
  it('uses v1 for everything and creates nothing under the cgroup2 mount', async () => {
    tree = await FakeCgroupTree.create('hybrid');
    const host = await detectCgroupHost(tree.root);
    expect(host.mode).toBe('hybrid');
    const manager = createCgroupManager({ host, parentSegments: ['isobench'], fs: tree, hostCpuCount: 2 });
    const handle = await manager.create('c1', { memoryBytes: 64 * 1024 * 1024, cpus: 1, pidsLimit: 8 });
    expect(handle.procsFiles.map((f) => tree.rel(f))).toEqual([
      'sys/fs/cgroup/memory/isobench/c1/cgroup.procs',
      'sys/fs/cgroup/cpu/isobench/c1/cgroup.procs',
      'sys/fs/cgroup/cpuacct/isobench/c1/cgroup.procs',
      'sys/fs/cgroup/pids/isobench/c1/cgroup.procs',
    ]);
    expect(tree.writes.map(([file, text]) => `${file}=${text}`)).toEqual([
      'sys/fs/cgroup/memory/isobench/c1/memory.limit_in_bytes=67108864',
      'sys/fs/cgroup/memory/isobench/c1/memory.memsw.limit_in_bytes=67108864',
      'sys/fs/cgroup/cpu/isobench/c1/cpu.cfs_period_us=100000',
      'sys/fs/cgroup/cpu/isobench/c1/cpu.cfs_quota_us=100000',
      'sys/fs/cgroup/pids/isobench/c1/pids.max=8',
    ]);
    expect(tree.findDirs('unified/')).toEqual([]);
    await handle.destroy();
    expect(tree.findDirs('isobench')).toEqual([]);
  });

  it('works through openCgroupManager with a fake fs root and the parent from the environment', async () => {
    tree = await FakeCgroupTree.create('hybrid');
    const saved = process.env.ISOBENCH_CGROUP_PARENT;
    process.env.ISOBENCH_CGROUP_PARENT = 'from-env';
    try {
      const manager = await openCgroupManager({ fsRoot: tree.root });
      // node:fs on plain dirs: mkdir makes empty dirs, so only the dirs are checked here.
      const handle = await manager.create('c1', {});
      expect(tree.findDirs('from-env')).toHaveLength(8);
      expect(await manager.listIds()).toEqual(['c1']);
      await handle.destroy();
      expect(tree.findDirs('from-env')).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.ISOBENCH_CGROUP_PARENT;
      else process.env.ISOBENCH_CGROUP_PARENT = saved;
    }
  });
});

describe('openCgroupManager parent', () => {
  it.each(['../escape', '/', '', 'a/../b', '.hidden'])('rejects the parent %j', async (parent) => {
    tree = await FakeCgroupTree.create('hybrid');
    await expect(openCgroupManager({ fsRoot: tree.root, parent })).rejects.toThrow(InputError);
  });
});

describe('hybrid with pids only on cgroup2', () => {
  it('puts pids in a cgroup2 dir, enabling it in subtree_control, next to the v1 dirs', async () => {
    tree = await FakeCgroupTree.create('hybrid', {
      v1Mounts: { memory: ['memory'], 'cpu,cpuacct': ['cpu', 'cpuacct'] },
      v2Controllers: ['pids', 'hugetlb'],
    });
    const host = await detectCgroupHost(tree.root);
    const manager = createCgroupManager({ host, parentSegments: ['isobench'], fs: tree, hostCpuCount: 2 });
    const handle = await manager.create('c1', { pidsLimit: 16 });
    expect(tree.writes).toEqual([
      ['sys/fs/cgroup/unified/cgroup.subtree_control', '+pids'],
      ['sys/fs/cgroup/unified/isobench/cgroup.subtree_control', '+pids'],
      ['sys/fs/cgroup/unified/isobench/c1/pids.max', '16'],
    ]);
    expect(handle.procsFiles.map((f) => tree.rel(f))).toEqual([
      'sys/fs/cgroup/memory/isobench/c1/cgroup.procs',
      'sys/fs/cgroup/cpu,cpuacct/isobench/c1/cgroup.procs',
      'sys/fs/cgroup/unified/isobench/c1/cgroup.procs',
    ]);
    await handle.destroy();
    expect(tree.findDirs('isobench')).toEqual([]);
  });
});

describe('parent removal race', () => {
  it('retries when another process removes the empty parent between mkdir of parent and child', async () => {
    tree = await FakeCgroupTree.create('v1', { v1Mounts: { memory: ['memory'] } });
    const host = await detectCgroupHost(tree.root);
    const manager = createCgroupManager({ host, parentSegments: ['isobench'], fs: tree, hostCpuCount: 2 });
    let raced = 0;
    tree.beforeMkdir = async (dir) => {
      // The "other process" rmdirs the just-made empty parent once, right before our child mkdir.
      if (dir === 'sys/fs/cgroup/memory/isobench/c1' && raced++ === 0)
        await rm(tree.at('sys/fs/cgroup/memory/isobench'), { recursive: true });
    };
    const handle = await manager.create('c1', { memoryBytes: 4 * 1024 * 1024 });
    expect(raced).toBe(2);
    expect(await manager.listIds()).toEqual(['c1']);
    await handle.destroy();
  });
});
