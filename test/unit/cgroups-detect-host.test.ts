// detectCgroupHost on fake roots: v1 (co-mounted cpu,cpuacct), v2, this host's hybrid mountinfo, fallbacks.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMountinfo } from '../../src/container/cgroups/detect-host.js';
import { detectCgroupHost } from '../../src/container/cgroups/index.js';
import { EnvironmentError } from '../../src/errors.js';
import { readFixture } from '../fixtures/cgroupfs/fake-cgroupfs.js';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function fakeRoot(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'isobench-cgdetect-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
  return root;
}

describe('detectCgroupHost', () => {
  it('detects a v1 host with cpu,cpuacct co-mounted and skips name=systemd', async () => {
    const root = await fakeRoot({ 'proc/self/mountinfo': readFixture('v1-mountinfo') });
    const cg = path.join(root, 'sys/fs/cgroup');
    expect(await detectCgroupHost(root)).toEqual({
      mode: 'v1',
      v1: {
        cpu: `${cg}/cpu,cpuacct`,
        cpuacct: `${cg}/cpu,cpuacct`,
        memory: `${cg}/memory`,
        pids: `${cg}/pids`,
        net_cls: `${cg}/net_cls,net_prio`,
        net_prio: `${cg}/net_cls,net_prio`,
      },
    });
  });

  it('detects a v2 host and its controllers', async () => {
    const root = await fakeRoot({
      'proc/self/mountinfo': readFixture('v2-mountinfo'),
      'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
    });
    expect(await detectCgroupHost(root)).toEqual({
      mode: 'v2',
      v1: {},
      v2: {
        mount: path.join(root, 'sys/fs/cgroup'),
        controllers: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'],
      },
    });
  });

  it("detects this host's hybrid layout (cgroup2 with only hugetlb)", async () => {
    const root = await fakeRoot({
      'proc/self/mountinfo': readFixture('hybrid-mountinfo'),
      'sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n',
    });
    const cg = path.join(root, 'sys/fs/cgroup');
    expect(await detectCgroupHost(root)).toEqual({
      mode: 'hybrid',
      v1: {
        cpu: `${cg}/cpu`,
        cpuacct: `${cg}/cpuacct`,
        cpuset: `${cg}/cpuset`,
        memory: `${cg}/memory`,
        devices: `${cg}/devices`,
        freezer: `${cg}/freezer`,
        blkio: `${cg}/blkio`,
        pids: `${cg}/pids`,
      },
      v2: { mount: `${cg}/unified`, controllers: ['hugetlb'] },
    });
  });

  it('falls back to /proc/mounts', async () => {
    const root = await fakeRoot({
      'proc/mounts': 'proc /proc proc rw 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,nosuid,memory 0 0\n',
    });
    expect(await detectCgroupHost(root)).toEqual({
      mode: 'v1',
      v1: { memory: path.join(root, 'sys/fs/cgroup/memory') },
    });
  });

  it('fails with the fix when nothing is mounted', async () => {
    const root = await fakeRoot({ 'proc/self/mountinfo': '22 1 0:21 / /proc rw - proc proc rw\n' });
    await expect(detectCgroupHost(root)).rejects.toThrow(EnvironmentError);
    await expect(detectCgroupHost(root)).rejects.toThrow('no cgroup filesystem is mounted');
  });

  it('fails when there is no mount table', async () => {
    const root = await fakeRoot({});
    await expect(detectCgroupHost(root)).rejects.toThrow('cannot read the mount table');
  });
});

describe('parseMountinfo', () => {
  it('decodes octal escapes and reads the root field', () => {
    const text = '41 31 0:38 /sub /sys/fs/cgroup/my\\040cg rw,relatime shared:1 - cgroup2 cgroup2 rw\n';
    expect(parseMountinfo(text)).toEqual([
      { fsType: 'cgroup2', mountPoint: '/sys/fs/cgroup/my cg', root: '/sub', options: ['rw', 'relatime', 'rw'] },
    ]);
  });
});
