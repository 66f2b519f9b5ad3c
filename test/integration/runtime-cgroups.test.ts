// The runtime's cgroups as a user gets them, on whatever layout this kernel has (hybrid on the
// development hosts; v2 and v1 in the test guests of test/guest/): a parent per state root made
// from the root down, the run flags' limits in the workload's cgroup, the workload's own cgroup
// namespace, and gc of cgroups left without a container, on its own root only.
import { execFile } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CgroupHost, detectCgroupHost } from '../../src/container/cgroups/index.js';
import { defaultCgroupParent } from '../../src/container/context.js';
import { type ContainerHandle, Runtime } from '../../src/container/index.js';
import { generateContainerId } from '../../src/container/state.js';
import { packageDir } from '../../src/paths.js';
import { ensureHelperBuilt } from '../fixtures/rootfs.js';
import { requireHost } from '../support/host.js';
import { CGROUP_ROOT, controllerDir, expectedCgroupMode, findCgroupsNamed, isOnV2 } from './cgroup-fixture.js';
import { makeBusyboxImage, removeTestRoot, runCapture, type TestRoot } from './runtime-fixture.js';

await requireHost('root');

const MIB = 1024 * 1024;
const execFileAsync = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const detected = await detectCgroupHost().catch(() => undefined);
const hasControllers =
  detected !== undefined &&
  ['memory', 'cpu', 'pids'].every((c) => detected.v1[c] !== undefined || detected.v2?.controllers.includes(c));

/** The cgroup path of `pid` in the hierarchy serving `controller`, from /proc/<pid>/cgroup (cgroups(7)). */
function cgroupPathOf(pid: number, host: CgroupHost, controller: string): string | undefined {
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [, controllers, cgroupPath] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    const matches = isOnV2(host, controller) ? controllers === '' : controllers!.split(',').includes(controller);
    if (matches) return cgroupPath;
  }
  return undefined;
}

describe.skipIf(!isRoot || !hasControllers)('runtime cgroups (needs root, memory, cpu and pids controllers)', () => {
  const roots: TestRoot[] = [];
  const runtimes: Runtime[] = [];
  let host: CgroupHost;
  let savedParent: string | undefined;

  beforeAll(async () => {
    ensureHelperBuilt();
    // No ISOBENCH_CGROUP_PARENT: each state root gets the parent the runtime derives from it.
    savedParent = process.env.ISOBENCH_CGROUP_PARENT;
    delete process.env.ISOBENCH_CGROUP_PARENT;
    host = await detectCgroupHost();
    for (const label of ['a', 'b']) {
      const root = await fs.mkdtemp(path.join(os.tmpdir(), `isobench-cgroups-${label}-`));
      roots.push({ root, cgroupParent: defaultCgroupParent(root) });
      await makeBusyboxImage(root, 'busybox:latest');
      runtimes.push(await Runtime.open(root));
    }
  });

  afterAll(async () => {
    for (const runtime of runtimes) {
      for (const c of await runtime.list({ all: true })) await runtime.remove(c.id, { force: true });
      await runtime.close();
    }
    if (savedParent !== undefined) process.env.ISOBENCH_CGROUP_PARENT = savedParent;
    for (const t of roots) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
  });

  const sleeper = (runtime: Runtime, limits = {}): Promise<ContainerHandle> =>
    runtime.run({ image: 'busybox', args: ['sleep', '1000'], detach: true, limits });

  it("puts a root's containers in its own parent, with the run flags' limits, delegated from the root down", async () => {
    const [a, b] = runtimes as [Runtime, Runtime];
    const limits = { memoryBytes: 64 * MIB, cpus: 0.5, pidsLimit: 16 };
    const inA = await sleeper(a, limits);
    const inB = await sleeper(b);
    expect(roots[0]!.cgroupParent).not.toBe(roots[1]!.cgroupParent);
    for (const [handle, t] of [
      [inA, roots[0]!],
      [inB, roots[1]!],
    ] as const) {
      for (const controller of ['memory', 'cpu', 'pids']) {
        expect(cgroupPathOf(handle.pid, host, controller)).toBe(`/${t.cgroupParent}/${handle.id}`);
      }
    }
    const rel = `${roots[0]!.cgroupParent}/${inA.id}`;
    const read = (controller: string, file: string) =>
      readFileSync(path.join(controllerDir(host, controller, rel), file), 'utf8').trim();
    expect(read('memory', isOnV2(host, 'memory') ? 'memory.max' : 'memory.limit_in_bytes')).toBe(String(64 * MIB));
    expect(read('cpu', isOnV2(host, 'cpu') ? 'cpu.max' : 'cpu.cfs_quota_us')).toMatch(/^50000( 100000)?$/);
    expect(read('pids', 'pids.max')).toBe('16');
    // Processes only in the container's cgroup: none in the parent (cgroup2's no-internal-processes
    // rule lets a cgroup that holds processes enable no controller for its children).
    for (const controller of ['memory', 'cpu', 'pids']) {
      expect(
        readFileSync(path.join(controllerDir(host, controller, roots[0]!.cgroupParent), 'cgroup.procs'), 'utf8'),
      ).toBe('');
    }
    if (host.mode === 'v2') {
      // Every level above the container enables the controllers its limits need.
      for (const dir of [CGROUP_ROOT, path.join(CGROUP_ROOT, roots[0]!.cgroupParent)]) {
        const enabled = readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').trim().split(' ');
        expect(enabled).toEqual(expect.arrayContaining(['memory', 'cpu', 'pids']));
      }
      expect(readFileSync(path.join(CGROUP_ROOT, rel, 'cgroup.subtree_control'), 'utf8').trim()).toBe('');
    }
  });

  it('gives the workload a cgroup namespace rooted at its own cgroup', async () => {
    const r = await runCapture(runtimes[0]!, {
      image: 'busybox',
      args: ['cat', '/proc/self/cgroup'],
      limits: { memoryBytes: 64 * MIB },
      remove: true,
    });
    expect(r.exit.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^\d+:[^:]*:\/$/);
  });

  it('says through the built CLI (dist/) which layout this host has, with memory, cpu and pids usable', async () => {
    const cli = path.join(packageDir(), 'bin', 'isobench');
    expect(existsSync(path.join(packageDir(), 'dist', 'src', 'cli', 'main.js')), 'run npm run build first').toBe(true);
    // doctor exits 1 when a required check fails (e.g. no QEMU in a test guest): only its cgroups check matters here.
    const { stdout } = await execFileAsync(cli, ['doctor', '--json'], { timeout: 120_000 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    const checks = (JSON.parse(stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks;
    const version = (controller: string) => (isOnV2(host, controller) ? 'v2' : 'v1');
    expect(checks.find((check) => check.name === 'cgroups')).toMatchObject({
      status: 'ok',
      detail: `${expectedCgroupMode()}; memory:${version('memory')} cpu:${version('cpu')} pids:${version('pids')}`,
    });
    expect(findCgroupsNamed('isobench-doctor-')).toEqual([]);
  });

  it("gc removes its own root's cgroups without a container and leaves another root's alone", async () => {
    const [a, b] = runtimes as [Runtime, Runtime];
    const orphanA = generateContainerId();
    const orphanB = generateContainerId();
    await a.context.cgroups.create(orphanA, { memoryBytes: 32 * MIB, pidsLimit: 8 });
    await b.context.cgroups.create(orphanB, { memoryBytes: 32 * MIB, pidsLimit: 8 });
    const liveB = (await b.list())[0]!.id;

    expect((await a.gc()).removedCgroups).toEqual([orphanA]);
    expect(await a.context.cgroups.listIds()).not.toContain(orphanA);
    expect(await b.context.cgroups.listIds()).toEqual([liveB, orphanB].sort());
    for (const controller of ['memory', 'pids']) {
      expect(existsSync(controllerDir(host, controller, `${roots[1]!.cgroupParent}/${orphanB}`))).toBe(true);
    }
    expect((await b.gc()).removedCgroups).toEqual([orphanB]);
    expect(await b.context.cgroups.listIds()).toEqual([liveB]);
  });
});
