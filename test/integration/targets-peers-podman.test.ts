// The podman peer target, for real (slow: ~0.5 s per run): the busybox image from a temp store is
// imported into podman's own storage under the temp root; exit code, ready marker, memory while
// running, dispose, and nothing left behind (containers, mounts, cgroups).
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODMAN_CGROUP_PARENT, podmanGlobalArgs, podmanLayout } from '../../src/targets/peer-podman-env.js';
import { gcPeerLeftovers } from '../../src/targets/peer-rootfs.js';
import { PodmanTarget } from '../../src/targets/podman.js';
import type { WorkloadSpec } from '../../src/targets/types.js';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { requireHost } from '../support/host.js';

await requireHost('root', 'podman');

const IMAGE = 'peers-busybox:1';
let root: string;
let target: PodmanTarget;

function workload(script: string): WorkloadSpec {
  return {
    image: IMAGE,
    args: ['sh', '-c', script],
    env: { ISOBENCH_TEST: '1' },
    readyMarker: 'ISOBENCH-READY',
    limits: { memoryBytes: 64 * 1024 * 1024, pidsLimit: 64 },
    vm: { memoryBytes: 256 * 1024 * 1024, cpus: 1, machine: 'microvm' },
  };
}

function podmanPsNames(): string[] {
  const layout = podmanLayout(root);
  const out = execFileSync('podman', [...podmanGlobalArgs(layout), 'ps', '-a', '--format', '{{.Names}}'], {
    encoding: 'utf8',
    env: { ...process.env, CONTAINERS_CONF: layout.containersConf, CONTAINERS_STORAGE_CONF: layout.storageConf },
  });
  return out.split('\n').filter((n) => n !== '');
}

function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((t) => t.startsWith(`${dir}/`));
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-peers-podman-'));
  await commitBusyboxImage(
    root,
    IMAGE,
    { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'FROM_IMAGE=yes'], Entrypoint: ['/bin/false'], Cmd: ['x'] },
    { withProbe: true },
  );
  target = new PodmanTarget({ root });
  expect(await target.probe()).toMatchObject({ available: true });
  await target.prepare(workload('true'));
}, 120_000);

afterAll(async () => {
  await target.cleanup();
  const gc = await gcPeerLeftovers(root);
  const names = podmanPsNames();
  const mounts = mountsBelow(root);
  const cgroups = readdirSync('/sys/fs/cgroup')
    .map((h) => path.join('/sys/fs/cgroup', h, PODMAN_CGROUP_PARENT))
    .filter((d) => existsSync(d));
  if (mounts.length === 0) {
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(podmanLayout(root).runRoot, { recursive: true, force: true });
  }
  expect(gc.removed).toEqual([]);
  expect(names).toEqual([]);
  expect(mounts).toEqual([]);
  expect(cgroups).toEqual([]);
}, 60_000);

describe('podman target', () => {
  it('resolves ready at the marker, overrides the entrypoint and reports exit code 3', async () => {
    const instance = await target.launch(workload('echo ISOBENCH-READY; echo "$FROM_IMAGE $ISOBENCH_TEST"; exit 3'));
    try {
      await instance.ready;
      expect((await instance.exited).exitCode).toBe(3);
      expect(instance.outputLines()).toEqual(['ISOBENCH-READY', 'yes 1']);
    } finally {
      await instance.dispose();
    }
  }, 30_000);

  it('samples memory while running, counts written bytes, and dispose() kills it', async () => {
    const instance = await target.launch(
      workload('dd if=/dev/zero of=/blob bs=1024 count=512 2>/dev/null; echo ISOBENCH-READY; exec sleep 30'),
    );
    try {
      await instance.ready;
      const memory = await instance.sampleMemory();
      expect(memory.pssBytes).toBeGreaterThan(0);
      expect(memory.cgroup?.currentBytes).toBeGreaterThan(0);
      expect(await instance.writableBytes()).toBeGreaterThanOrEqual(512 * 1024);
    } finally {
      await instance.dispose();
    }
    expect((await instance.exited).exitCode).not.toBe(0);
    expect(podmanPsNames()).toEqual([]);
  }, 30_000);
});
