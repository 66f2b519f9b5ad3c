// The vm target for real (QEMU; TCG on hosts without KVM): the probe image boots, reports ready
// and its exit code with boot phases; a running guest is sampled through QEMU's PSS and its own
// view of its memory, and dispose kills QEMU and removes the VM dir.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rootLayout } from '../../src/paths.js';
import type { Instance } from '../../src/targets/types.js';
import { VmTarget } from '../../src/targets/vm.js';
import { probeKvm } from '../../src/vm/accel.js';
import { listVmIds } from '../../src/vm/vm-state.js';
import { requireHost } from '../support/host.js';
import { descendantsNamed, ensureProbeBuilt, MIB, probeWorkload } from './targets-fixture.js';

await requireHost('root', 'qemu');

const QEMU_COMM = 'qemu-system-x86';

describe('vm target', () => {
  let root: string;
  let target: VmTarget;
  let expectedAccel: 'kvm' | 'tcg';
  const instances: Instance[] = [];

  beforeAll(async () => {
    ensureProbeBuilt();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-targets-vm-'));
    target = new VmTarget({ root, timeoutMs: 60_000 });
    expectedAccel = (await probeKvm()).usable ? 'kvm' : 'tcg';
    // Builds the probe image, fetches the kernel, builds initramfs and base disk.
    await target.prepare(probeWorkload(['exit=0']));
  });

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.dispose()));
  });

  afterAll(async () => {
    await target.cleanup();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('is available, records its accelerator, and measures kernel + initramfs + base disk', async () => {
    const availability = await target.probe();
    expect(availability.available).toBe(true);
    if (expectedAccel === 'tcg')
      expect(availability).toMatchObject({ detail: 'tcg (no /dev/kvm: slow software emulation)' });
    expect(target.accel()).toBe(expectedAccel);
    expect(await target.imageFootprintBytes(probeWorkload(['exit=0']))).toBeGreaterThan(5 * MIB);
  });

  it('boots the probe: ready before exit, exit code 3, phases from launch', async () => {
    const instance = await target.launch(probeWorkload(['ready', 'exit=3']));
    instances.push(instance);
    const readyNs = await instance.ready;
    const exit = await instance.exited;
    expect(exit.exitCode).toBe(3);
    expect(readyNs).toBeGreaterThan(instance.launchedAtNs);
    expect(exit.atNs).toBeGreaterThanOrEqual(readyNs);
    expect(instance.outputLines().some((line) => line.startsWith('ISOBENCH-READY '))).toBe(true);
    const phases = instance.phases();
    for (const key of ['hostPrepareNs', 'qemuStartNs', 'kernelNs', 'readyNs', 'exitNs']) {
      expect(phases[key], key).toBeTypeOf('number');
    }
    expect(phases.readyNs!).toBeGreaterThan(phases.qemuStartNs!);
    expect(phases.exitNs!).toBeGreaterThan(phases.readyNs!);
    expect(await instance.writableBytes()).toBeGreaterThan(0);
    await instance.dispose();
    expect(await listVmIds(rootLayout(root))).toEqual([]);
  });

  it("samples QEMU and the guest's view holding alloc=64; dispose kills QEMU and removes the VM dir", async () => {
    const instance = await target.launch(probeWorkload(['alloc=64', 'write=8', 'ready', 'idle']));
    instances.push(instance);
    await instance.ready;
    // The probe reads the guest's /proc/meminfo as it starts to idle, just after its ready line.
    await vi.waitFor(
      () => expect(instance.outputLines().some((line) => line.startsWith('isobench-probe meminfo '))).toBe(true),
      { timeout: 30_000, interval: 50 },
    );
    const sample = await instance.sampleMemory();
    expect(sample.pssBytes).toBeGreaterThan(64 * MIB);
    // MemTotal is 256 MiB minus reservations; in use: at least the probe's 64 MiB, every page touched.
    const { usedBytes, totalBytes } = sample.guest!;
    expect(totalBytes).toBeGreaterThan(128 * MIB);
    expect(totalBytes).toBeLessThanOrEqual(256 * MIB);
    expect(usedBytes).toBeGreaterThanOrEqual(64 * MIB);
    expect(usedBytes).toBeLessThan(totalBytes!);
    expect(descendantsNamed(QEMU_COMM)).toHaveLength(1);
    expect(await instance.writableBytes()).toBeGreaterThanOrEqual(8 * MIB);
    await instance.dispose();
    await expect(instance.exited).rejects.toThrow(/interrupted/);
    expect(descendantsNamed(QEMU_COMM)).toEqual([]);
    expect(await listVmIds(rootLayout(root))).toEqual([]);
  });
});
