// The cgroup manager on a fake cgroup2 host: subtree_control, one dir, v2 limit and stat files.

import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectCgroupHost } from '../../src/container/cgroups/index.js';
import { createCgroupManager } from '../../src/container/cgroups/manager.js';
import type { CgroupManager } from '../../src/container/cgroups/types.js';
import { FakeCgroupTree, readFixture } from '../fixtures/cgroupfs/fake-cgroupfs.js';

let tree: FakeCgroupTree;
let manager: CgroupManager;

async function setUp(options: { swapAccounting?: boolean; v2Controllers?: string[] } = {}) {
  tree = await FakeCgroupTree.create('v2', options);
  const host = await detectCgroupHost(tree.root);
  manager = createCgroupManager({ host, parentSegments: ['isobench'], fs: tree, hostCpuCount: 2 });
}

beforeEach(() => setUp());
afterEach(() => tree.cleanup());

describe('create on v2', () => {
  it('enables controllers down to the parent, makes one dir and writes v2 limits', async () => {
    const handle = await manager.create('c1', { memoryBytes: 64 * 1024 * 1024, cpus: 0.5, pidsLimit: 32 });
    expect(tree.writes).toEqual([
      ['sys/fs/cgroup/cgroup.subtree_control', '+memory +cpu +pids'],
      ['sys/fs/cgroup/isobench/cgroup.subtree_control', '+memory +cpu +pids'],
      ['sys/fs/cgroup/isobench/c1/memory.max', '67108864'],
      ['sys/fs/cgroup/isobench/c1/memory.swap.max', '0'],
      ['sys/fs/cgroup/isobench/c1/cpu.max', '50000 100000'],
      ['sys/fs/cgroup/isobench/c1/pids.max', '32'],
    ]);
    expect(handle.procsFiles.map((f) => tree.rel(f))).toEqual(['sys/fs/cgroup/isobench/c1/cgroup.procs']);
    expect(handle.dirs.map((d) => tree.rel(d))).toEqual(['sys/fs/cgroup/isobench/c1', 'sys/fs/cgroup/isobench']);
    expect(readFileSync(tree.at('sys/fs/cgroup/isobench/c1/cgroup.controllers'), 'utf8')).toBe('memory cpu pids\n');
  });

  it('does not re-enable controllers already on, and skips memory.swap.max without swap accounting', async () => {
    await tree.cleanup();
    await setUp({ swapAccounting: false });
    await manager.create('c1', { memoryBytes: 8 * 1024 * 1024 });
    await manager.create('c2', { cpus: 2 });
    expect(tree.writes).toEqual([
      ['sys/fs/cgroup/cgroup.subtree_control', '+memory +cpu +pids'],
      ['sys/fs/cgroup/isobench/cgroup.subtree_control', '+memory +cpu +pids'],
      ['sys/fs/cgroup/isobench/c1/memory.max', '8388608'],
      ['sys/fs/cgroup/isobench/c2/cpu.max', '200000 100000'],
    ]);
  });

  it('supports a nested parent', async () => {
    const host = await detectCgroupHost(tree.root);
    const nested = createCgroupManager({ host, parentSegments: ['bench', 'isobench'], fs: tree, hostCpuCount: 2 });
    const handle = await nested.create('c1', { pidsLimit: 5 });
    expect(tree.writes.map(([file]) => file)).toEqual([
      'sys/fs/cgroup/cgroup.subtree_control',
      'sys/fs/cgroup/bench/cgroup.subtree_control',
      'sys/fs/cgroup/bench/isobench/cgroup.subtree_control',
      'sys/fs/cgroup/bench/isobench/c1/pids.max',
    ]);
    await handle.destroy();
    expect(tree.findDirs('bench')).toEqual([]);
  });
  it('names the no-internal-processes rule when a parent level holds processes (EBUSY), and rolls back', async () => {
    tree.failWrite = (file) =>
      file === 'sys/fs/cgroup/isobench/cgroup.subtree_control'
        ? Object.assign(new Error('EBUSY'), { code: 'EBUSY' })
        : undefined;
    await expect(manager.create('c1', { memoryBytes: 8 * 1024 * 1024 })).rejects.toMatchObject({
      code: 'ENVIRONMENT',
      message: expect.stringContaining(`${tree.at('sys/fs/cgroup/isobench')} holds processes`),
      hint: expect.stringContaining('ISOBENCH_CGROUP_PARENT'),
    });
    expect(tree.findDirs('isobench')).toEqual([]);
  });
});

describe('handle on v2', () => {
  it('reads v2 stats: memory.current/peak/stat, cpu.stat usec -> ns, pids.current, memory.events', async () => {
    const handle = await manager.create('c1', {});
    const dir = tree.at('sys/fs/cgroup/isobench/c1');
    writeFileSync(`${dir}/memory.current`, '36634624\n');
    writeFileSync(`${dir}/memory.peak`, '40000000\n');
    writeFileSync(`${dir}/cpu.stat`, readFixture('v2-cpu.stat'));
    writeFileSync(`${dir}/pids.current`, '2\n');
    writeFileSync(`${dir}/memory.events`, readFixture('v2-memory.events'));
    expect(await handle.readStats()).toEqual({
      memoryCurrentBytes: 36634624,
      memoryPeakBytes: 40000000,
      memoryAnonBytes: 28020736,
      memoryFileBytes: 8552448,
      cpuUsageNs: 1234567000,
      pidsCurrent: 2,
    });
    expect(await handle.readOomKills()).toBe(2);
  });

  it('leaves memoryPeakBytes out on kernels without memory.peak', async () => {
    const handle = await manager.create('c1', {});
    await tree.rmFile('sys/fs/cgroup/isobench/c1/memory.peak');
    expect(await handle.readStats()).not.toHaveProperty('memoryPeakBytes');
  });

  it('kills through cgroup.kill and removes the dir and the parent', async () => {
    const handle = await manager.create('c1', {});
    tree.addPid(handle.dirs[0]!, 99);
    tree.addPid(handle.dirs[0]!, 100);
    expect(await handle.readPids()).toEqual([99, 100]);
    await handle.destroy();
    expect(tree.writes.at(-1)).toEqual(['sys/fs/cgroup/isobench/c1/cgroup.kill', '1']);
    expect(tree.findDirs('isobench')).toEqual([]);
  });

  it('has cpu accounting but no memory/pids stats when the root offers no controllers', async () => {
    await tree.cleanup();
    await setUp({ v2Controllers: [] });
    const handle = await manager.create('c1', {});
    expect(tree.writes).toEqual([]);
    expect(await handle.readStats()).toEqual({ cpuUsageNs: 0 });
    await expect(manager.create('c2', { memoryBytes: 8 * 1024 * 1024 })).rejects.toThrow(
      /--memory needs the cgroup 'memory' controller, which this host has neither as a v1 hierarchy nor listed in .*cgroup\.controllers/,
    );
  });
});
