// The native target for real: the probe runs on the host in a scratch dir; ready, exit, memory,
// disk writes and disposal.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rootLayout } from '../../src/paths.js';
import { NativeTarget } from '../../src/targets/native.js';
import type { Instance } from '../../src/targets/types.js';
import { descendantsNamed, ensureProbeBuilt, MIB, probeWorkload } from './targets-fixture.js';

describe('native target', () => {
  let root: string;
  let target: NativeTarget;
  const instances: Instance[] = [];

  beforeAll(async () => {
    ensureProbeBuilt();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-targets-native-'));
    target = new NativeTarget({ root });
  });

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.dispose()));
  });

  afterAll(async () => {
    await target.cleanup();
    await fs.rm(root, { recursive: true, force: true });
  });

  async function launch(steps: string[], overrides = {}): Promise<Instance> {
    const workload = probeWorkload(steps, overrides);
    await target.prepare(workload);
    const instance = await target.launch(workload);
    instances.push(instance);
    return instance;
  }

  it('is always available and measures the probe binary as its footprint', async () => {
    expect(await target.probe()).toEqual({ available: true });
    expect(await target.imageFootprintBytes(probeWorkload(['exit=0']))).toBeGreaterThan(100_000);
  });

  it('resolves ready before exit, with exit code and the marker line', async () => {
    const instance = await launch(['ready', 'exit=0']);
    const readyNs = await instance.ready;
    const exit = await instance.exited;
    expect(exit.exitCode).toBe(0);
    expect(readyNs).toBeGreaterThanOrEqual(instance.launchedAtNs);
    expect(exit.atNs).toBeGreaterThanOrEqual(readyNs);
    expect(instance.outputLines().some((line) => line.startsWith('ISOBENCH-READY '))).toBe(true);
  });

  it('reports a non-zero exit, and ready = exit without a marker', async () => {
    const instance = await launch(['exit=5'], { readyMarker: undefined });
    const exit = await instance.exited;
    expect(exit.exitCode).toBe(5);
    expect(await instance.ready).toBe(exit.atNs);
  });

  it('rejects ready when the workload exits before its marker', async () => {
    const instance = await launch(['exit=2']);
    await expect(instance.ready).rejects.toThrow(/exited with code 2 before printing the ready marker/);
  });

  it('samples at least the allocated memory after ready, and dispose kills the process', async () => {
    const instance = await launch(['alloc=32', 'ready', 'idle']);
    await instance.ready;
    const sample = await instance.sampleMemory();
    expect(sample.pssBytes).toBeGreaterThanOrEqual(32 * MIB);
    expect(sample.ussBytes).toBeGreaterThanOrEqual(32 * MIB);
    expect(sample.rssBytes).toBeGreaterThanOrEqual(sample.ussBytes);
    expect(descendantsNamed('isobench-probe')).toHaveLength(1);
    await instance.dispose();
    expect((await instance.exited).exitCode).toBe(137);
    expect(descendantsNamed('isobench-probe')).toEqual([]);
  });

  it('counts the scratch dir writes and removes the dir on dispose', async () => {
    const instance = await launch(['write=8', 'ready', 'exit=0']);
    expect((await instance.exited).exitCode).toBe(0);
    expect(await instance.writableBytes()).toBeGreaterThanOrEqual(8 * MIB);
    await instance.dispose();
    expect(await fs.readdir(rootLayout(root).tmp)).toEqual([]);
  });
});
