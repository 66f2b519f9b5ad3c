// --cpuset-cpus: the list syntax, and the cpuset cgroup on fake v1 (hybrid) and v2 hosts: only a
// container that asks for it gets one, v1 levels get their parent's CPUs and memory nodes, and a
// CPU the parent does not have is refused with nothing left behind.
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCpuList, validateCpusetCpus } from '../../src/container/cgroups/cpuset.js';
import { detectCgroupHost } from '../../src/container/cgroups/index.js';
import { createCgroupManager } from '../../src/container/cgroups/manager.js';
import { InputError } from '../../src/errors.js';
import { FakeCgroupTree } from '../fixtures/cgroupfs/fake-cgroupfs.js';

let tree: FakeCgroupTree | undefined;
afterEach(async () => {
  await tree?.cleanup();
  tree = undefined;
});

async function manager(kind: 'hybrid' | 'v2') {
  tree = await FakeCgroupTree.create(kind);
  if (kind === 'hybrid') {
    writeFileSync(tree.at('sys/fs/cgroup/cpuset/cpuset.cpus'), '0-3\n');
    writeFileSync(tree.at('sys/fs/cgroup/cpuset/cpuset.mems'), '0\n');
  } else {
    writeFileSync(tree.at('sys/fs/cgroup/cpuset.cpus.effective'), '0-3\n');
  }
  const host = await detectCgroupHost(tree.root);
  return createCgroupManager({ host, parentSegments: ['isobench'], fs: tree, hostCpuCount: 4 });
}

describe('parseCpuList', () => {
  it('reads the kernel list format', () => {
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
    expect(parseCpuList('3,1-2\n')).toEqual([1, 2, 3]);
    expect(parseCpuList('')).toEqual([]);
  });

  it('refuses what is not a list', () => {
    for (const bad of ['a', '1-', '-1', '2-1', '1,,2', '0-99999', '1 2']) expect(parseCpuList(bad)).toBeUndefined();
  });

  it('is checked at the edge, naming the flag', () => {
    expect(() => validateCpusetCpus('0-')).toThrow(InputError);
    expect(() => validateCpusetCpus('0-')).toThrow("expected --cpuset-cpus to be a CPU list like 0-1 or 0,2, got '0-'");
    expect(() => validateCpusetCpus('')).toThrow(InputError);
  });
});

describe('cpuset cgroup on v1 (hybrid host)', () => {
  it('is made only for a container that asks, with its levels filled from the parent', async () => {
    const m = await manager('hybrid');
    await m.create('plain', {});
    expect(tree!.findDirs('cpuset/isobench')).toEqual([]);
    const handle = await m.create('pinned', { cpusetCpus: '1,3' });
    expect(tree!.findDirs('cpuset/isobench')).toEqual([
      'sys/fs/cgroup/cpuset/isobench',
      'sys/fs/cgroup/cpuset/isobench/pinned',
    ]);
    expect(tree!.writes).toEqual([
      ['sys/fs/cgroup/cpuset/isobench/cpuset.cpus', '0-3'],
      ['sys/fs/cgroup/cpuset/isobench/cpuset.mems', '0'],
      ['sys/fs/cgroup/cpuset/isobench/pinned/cpuset.mems', '0'],
      ['sys/fs/cgroup/cpuset/isobench/pinned/cpuset.cpus', '1,3'],
    ]);
    expect(handle.procsFiles.map((f) => tree!.rel(f))).toContain('sys/fs/cgroup/cpuset/isobench/pinned/cgroup.procs');
    // open() knows the cpuset dir of either container; destroy removes it (and the empty parent).
    expect(await m.listIds()).toEqual(['pinned', 'plain']);
    await m.open('pinned').destroy();
    await m.open('plain').destroy();
    expect(tree!.findDirs('isobench')).toEqual([]);
  });

  it('refuses a CPU its parent does not have, and leaves nothing', async () => {
    const m = await manager('hybrid');
    const failure = m.create('c1', { cpusetCpus: '2-5' });
    await expect(failure).rejects.toThrow(InputError);
    await expect(failure).rejects.toThrow(
      "expected --cpuset-cpus to name CPUs this host offers (0-3), got '2-5' (CPU 4, 5 not there)",
    );
    expect(tree!.findDirs('isobench')).toEqual([]);
  });
});

describe('cpuset cgroup on v2', () => {
  it('enables cpuset down to the container only when asked, and writes cpuset.cpus', async () => {
    const m = await manager('v2');
    await m.create('pinned', { cpusetCpus: '0-1' });
    const cpusetWrites = () =>
      tree!.writes.filter(([file, text]) => file.includes('cpuset') || text.includes('cpuset'));
    expect(cpusetWrites()).toEqual([
      ['sys/fs/cgroup/cgroup.subtree_control', '+memory +cpu +pids +cpuset'],
      ['sys/fs/cgroup/isobench/cgroup.subtree_control', '+memory +cpu +pids +cpuset'],
      ['sys/fs/cgroup/isobench/pinned/cpuset.cpus', '0-1'],
    ]);
    const before = cpusetWrites().length;
    await m.create('plain', {});
    expect(cpusetWrites()).toHaveLength(before);
  });
});
