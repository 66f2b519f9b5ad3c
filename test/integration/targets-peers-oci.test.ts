// runc and crun peer targets, for real: a busybox image from a temp store, run through a bundle
// with an overlay rootfs; exit codes, ready marker, memory while running, and nothing left behind.
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../src/image/store.js';
import { CrunTarget } from '../../src/targets/crun.js';
import { holdersDir, MountNamespaceHolder } from '../../src/targets/peer-mount-ns.js';
import { bundlePaths, createPeerBundle, isMountedHere, peersDir } from '../../src/targets/peer-rootfs.js';
import { gcPeerLeftovers, RuncTarget } from '../../src/targets/runc.js';
import type { Instance, Target, WorkloadSpec } from '../../src/targets/types.js';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { requireHost } from '../support/host.js';

await requireHost('root', 'runc', 'crun');

const IMAGE = 'peers-busybox:1';
let root: string;
const ids: string[] = [];

function workload(script: string, extra: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    image: IMAGE,
    args: ['sh', '-c', script],
    env: { ISOBENCH_TEST: '1' },
    readyMarker: 'ISOBENCH-READY',
    limits: { memoryBytes: 64 * 1024 * 1024, pidsLimit: 64, cpus: 1 },
    vm: { memoryBytes: 256 * 1024 * 1024, cpus: 1, machine: 'microvm' },
    ...extra,
  };
}

/** Instance ids currently in <root>/targets/peers (recorded so the leak check can look for them). */
function noteIds(): void {
  for (const name of readdirSync(peersDir(root))) if (!ids.includes(name)) ids.push(name);
}

function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((target) => target.startsWith(`${dir}/`));
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-peers-oci-'));
  await commitBusyboxImage(
    root,
    IMAGE,
    { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'FROM_IMAGE=yes'], Cmd: ['sh'], WorkingDir: '/tmp' },
    { withProbe: true },
  );
});

afterAll(async () => {
  const leftovers = await gcPeerLeftovers(root);
  const mounts = mountsBelow(root);
  const runcList = execFileSync('runc', ['list', '-q'], { encoding: 'utf8' });
  const crunState = existsSync('/run/crun') ? readdirSync('/run/crun') : [];
  const cgroups = readdirSync('/sys/fs/cgroup').flatMap((h) =>
    ids.map((id) => path.join('/sys/fs/cgroup', h, 'isobench-peers', id)).filter((d) => existsSync(d)),
  );
  if (mounts.length === 0) await fs.rm(root, { recursive: true, force: true });
  expect(leftovers.removed).toEqual([]);
  expect(mounts).toEqual([]);
  expect(ids.filter((id) => runcList.includes(id))).toEqual([]);
  expect(ids.filter((id) => crunState.includes(id))).toEqual([]);
  expect(cgroups).toEqual([]);
});

async function runToExit(target: Target, spec: WorkloadSpec): Promise<{ instance: Instance; code: number }> {
  const instance = await target.launch(spec);
  noteIds();
  try {
    await instance.ready;
    const exit = await instance.exited;
    return { instance, code: exit.exitCode };
  } finally {
    await instance.dispose();
  }
}

describe.each([
  ['runc', () => new RuncTarget({ root })],
  ['crun', () => new CrunTarget({ root })],
] as const)('%s target', (kind, make) => {
  let target: RuncTarget | CrunTarget;

  beforeAll(async () => {
    target = make();
    expect(await target.probe()).toMatchObject({ available: true });
    await target.prepare(workload('true'));
  });

  afterAll(async () => {
    await target.cleanup();
    if (target instanceof CrunTarget) expect(target.namespaceHolder()).toBeUndefined();
  });

  it('resolves ready at the marker and reports the exit code 3', async () => {
    const instance = await target.launch(workload('echo ISOBENCH-READY; exit 3'));
    noteIds();
    try {
      const readyAt = await instance.ready;
      const exit = await instance.exited;
      expect(exit.exitCode).toBe(3);
      expect(readyAt).toBeGreaterThanOrEqual(instance.launchedAtNs);
      expect(instance.outputLines()).toEqual(['ISOBENCH-READY']);
    } finally {
      await instance.dispose();
    }
  });

  it('runs with the image env, workdir, hostname and limits', async () => {
    const script =
      'echo ISOBENCH-READY; echo "$FROM_IMAGE $ISOBENCH_TEST $(pwd) $(hostname)"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max';
    const instance = await target.launch(workload(script));
    noteIds();
    try {
      expect((await instance.exited).exitCode).toBe(0);
      const [, env, memory, pids] = instance.outputLines();
      expect(env).toMatch(new RegExp(`^yes 1 /tmp isobench-${kind}-[0-9a-f]{12}$`));
      expect(memory).toBe(String(64 * 1024 * 1024));
      expect(pids).toBe('64');
    } finally {
      await instance.dispose();
    }
  });

  it('counts what the workload writes in its upper dir', async () => {
    const instance = await target.launch(
      workload('dd if=/dev/zero of=/tmp/blob bs=1024 count=512 2>/dev/null; echo ISOBENCH-READY'),
    );
    noteIds();
    try {
      await instance.exited;
      expect(await instance.writableBytes()).toBeGreaterThanOrEqual(512 * 1024);
    } finally {
      await instance.dispose();
    }
  });

  it('samples memory while running and dispose() kills it', async () => {
    const instance = await target.launch(workload('echo ISOBENCH-READY; exec sleep 30'));
    noteIds();
    await instance.ready;
    const memory = await instance.sampleMemory();
    expect(memory.pssBytes).toBeGreaterThan(0);
    expect(memory.cgroup?.currentBytes).toBeGreaterThan(0);
    await instance.dispose();
    const exit = await instance.exited;
    expect(exit.exitCode).not.toBe(0);
  });

  it('rejects ready when the workload exits without the marker', async () => {
    const instance = await target.launch(workload('exit 5'));
    noteIds();
    try {
      await expect(instance.ready).rejects.toThrow(/code 5 before printing the ready marker/);
    } finally {
      await instance.dispose();
    }
  });

  it('resolves ready at the exit when there is no marker', async () => {
    const { code } = await runToExit(target, workload('exit 0', { readyMarker: undefined }));
    expect(code).toBe(0);
  });
});

describe('gcPeerLeftovers', () => {
  // An owner that cannot be alive: pid 1 with an impossible start time.
  const deadOwner = { pid: 1, startTicks: -42 };

  it('unmounts and removes an instance whose owner died, and kills its holder', async () => {
    const store = await ImageStore.open(root);
    const lowerDirs = await store.lowerDirs(await store.resolve(IMAGE));
    const id = 'isobench-runc-gctest00000';
    ids.push(id);
    const paths = await createPeerBundle({
      root,
      id,
      runtime: 'runc',
      lowerDirs,
      cgroupsPath: `/isobench-peers/${id}`,
      config: {},
    });
    expect(isMountedHere(paths.rootfs)).toBe(true);
    const record = JSON.parse(readFileSync(paths.record, 'utf8'));
    await fs.writeFile(paths.record, JSON.stringify({ ...record, owner: deadOwner }));
    const holder = await MountNamespaceHolder.start(root);
    const holderFile = path.join(holdersDir(root), `${holder.identity.pid}.json`);
    await fs.writeFile(holderFile, JSON.stringify({ owner: deadOwner, holder: holder.identity }));

    const report = await gcPeerLeftovers(root);
    expect(report.removed).toEqual([id]);
    expect(report.killedHolders).toEqual([holder.identity.pid]);
    expect(report.problems).toEqual([]);
    expect(isMountedHere(paths.rootfs)).toBe(false);
    expect(existsSync(bundlePaths(root, id).dir)).toBe(false);
    await holder.stop();
    expect(holder.isAlive()).toBe(false);
  });
});
