// The container target for real: the probe image assembled in a temp store, run in isobench's
// runtime; ready, exit, memory (process tree + cgroup), upper-dir writes, and a clean disposal.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { rootLayout } from '../../src/paths.js';
import { ContainerTarget } from '../../src/targets/container.js';
import type { Instance } from '../../src/targets/types.js';
import { cgroupDirsOf, makeTestRoot, processesIn, removeTestRoot, type TestRoot } from './runtime-fixture.js';
import { descendantsNamed, ensureProbeBuilt, MIB, probeWorkload } from './targets-fixture.js';

describe('container target', () => {
  let t: TestRoot;
  let target: ContainerTarget;
  const instances: Instance[] = [];

  beforeAll(async () => {
    ensureProbeBuilt();
    t = await makeTestRoot('targets-container');
    target = new ContainerTarget({ root: t.root, cgroupParent: t.cgroupParent });
    // Assembles the probe image (busybox + /usr/bin/isobench-probe) in the temp store.
    await target.prepare(probeWorkload(['exit=0']));
  });

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.dispose()));
  });

  afterAll(async () => {
    await target.cleanup();
    const leaks = await removeTestRoot(t);
    expect(leaks).toEqual({ mounts: [], cgroups: [], pids: [] });
  });

  async function launch(steps: string[], overrides = {}): Promise<Instance> {
    const instance = await target.launch(probeWorkload(steps, overrides));
    instances.push(instance);
    return instance;
  }

  it('is available here and measures the image layers as its footprint', async () => {
    expect(await target.probe()).toEqual({ available: true });
    const footprint = await target.imageFootprintBytes(probeWorkload(['exit=0']));
    expect(footprint).toBeGreaterThan(1_000_000); // busybox + probe, both static
  });

  it('refuses an unknown image without a recipe', async () => {
    await expect(target.prepare(probeWorkload(['exit=0'], { image: 'no-such-image:1' }))).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('resolves ready before exit, with exit code and the marker line', async () => {
    const instance = await launch(['ready', 'exit=0']);
    const readyNs = await instance.ready;
    const exit = await instance.exited;
    expect(exit).toMatchObject({ exitCode: 0, oomKilled: false });
    expect(readyNs).toBeGreaterThanOrEqual(instance.launchedAtNs);
    expect(exit.atNs).toBeGreaterThanOrEqual(readyNs);
    expect(instance.outputLines().some((line) => line.startsWith('ISOBENCH-READY '))).toBe(true);
  });

  it('breaks the startup into increasing phases, ns from launch', async () => {
    const instance = await launch(['ready', 'exit=0']);
    const readyNs = await instance.ready;
    const exit = await instance.exited;
    const phases = instance.phases();
    const names = ['helperStartNs', 'namespacesNs', 'rootfsNs', 'execNs', 'readyNs', 'exitNs'];
    expect(Object.keys(phases).sort()).toEqual([...names].sort());
    const values = names.map((name) => phases[name]!);
    expect(values[0]).toBeGreaterThanOrEqual(0);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(phases.readyNs).toBe(Number(readyNs - instance.launchedAtNs));
    expect(phases.exitNs).toBe(Number(exit.atNs - instance.launchedAtNs));
  });

  it('passes env and reports a non-zero exit; ready = exit without a marker', async () => {
    const instance = await launch(['exit=7'], { readyMarker: undefined, env: { FOO: 'bar' } });
    const exit = await instance.exited;
    expect(exit.exitCode).toBe(7);
    expect(await instance.ready).toBe(exit.atNs);
  });

  it('samples monitor + workload and the cgroup after ready; dispose leaves nothing', async () => {
    const instance = await launch(['alloc=32', 'ready', 'idle'], { limits: { memoryBytes: 128 * MIB, pidsLimit: 16 } });
    await instance.ready;
    const sample = await instance.sampleMemory();
    expect(sample.pssBytes).toBeGreaterThanOrEqual(32 * MIB);
    expect(sample.ussBytes).toBeGreaterThanOrEqual(32 * MIB);
    expect(sample.cgroup?.currentBytes).toBeGreaterThanOrEqual(32 * MIB);
    expect(sample.cgroup?.anonBytes).toBeGreaterThanOrEqual(32 * MIB);
    // memory.peak of the harness: v1 max_usage_in_bytes, v2 memory.peak (Linux 5.19+).
    const peakFiles = ['memory.max_usage_in_bytes', 'memory.peak'];
    if (cgroupDirsOf(t.cgroupParent).some((dir) => peakFiles.some((f) => existsSync(path.join(dir, f))))) {
      expect(sample.cgroup?.peakBytes).toBeGreaterThanOrEqual(sample.cgroup!.currentBytes!);
    }
    expect(processesIn(t.cgroupParent).length).toBeGreaterThan(0);
    await instance.dispose();
    expect((await instance.exited).exitCode).toBe(137);
    expect(processesIn(t.cgroupParent)).toEqual([]);
    expect(descendantsNamed('isobench-probe')).toEqual([]);
    expect(await fs.readdir(rootLayout(t.root).containers)).toEqual([]);
    const cgroupChildren = await Promise.all(
      cgroupDirsOf(t.cgroupParent).map(async (dir) =>
        (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()),
      ),
    );
    expect(cgroupChildren.flat()).toEqual([]);
  });

  it('counts writes in the upper dir after exit', async () => {
    const instance = await launch(['write=8:/tmp/f', 'ready', 'exit=0']);
    expect((await instance.exited).exitCode).toBe(0);
    expect(await instance.writableBytes()).toBeGreaterThanOrEqual(8 * MIB);
    const idle = await launch(['ready', 'exit=0']);
    await idle.exited;
    expect(await idle.writableBytes()).toBeLessThan(MIB);
  });
});
