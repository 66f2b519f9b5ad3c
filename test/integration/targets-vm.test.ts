// The vm target for real (QEMU; TCG on hosts without KVM): the probe image boots, reports ready
// and its exit code with boot phases, launched from what prepare() cached (the preparation steps
// are wrapped to count their calls, and run for real); a running guest is sampled through QEMU's
// PSS and its own view of its memory once the probe is ready, and dispose kills QEMU and removes
// the VM dir.
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

// Each preparation step a launch must not redo, wrapped to count its calls (the real one runs).
const counted = vi.hoisted(() => {
  const calls = new Map<string, number>();
  const wrap = <M>(actual: M, names: string[]): M => {
    const module = { ...actual } as Record<string, unknown>;
    for (const name of names) {
      const real = module[name] as (...args: unknown[]) => unknown;
      module[name] = (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return real(...args);
      };
    }
    return module as M;
  };
  return { calls, wrap };
});
vi.mock('../../src/vm/accel.js', async (original) => counted.wrap(await original(), ['probeKvm', 'resolveAccel']));
vi.mock('../../src/vm/kernel.js', async (original) => counted.wrap(await original(), ['prepareKernel']));
vi.mock('../../src/vm/initramfs.js', async (original) => counted.wrap(await original(), ['prepareInitramfs']));
vi.mock('../../src/vm/base-disk.js', async (original) => counted.wrap(await original(), ['ensureBaseDisk']));
vi.mock('../../src/vm/guest-clock.js', async (original) => counted.wrap(await original(), ['clockParamsFor']));
/** What prepare() runs: the KVM probe (in resolveAccel), the kernel lock, busybox read and hashed, the disk check, the host's TSC rate. */
const PREPARATION = ['resolveAccel', 'prepareKernel', 'prepareInitramfs', 'ensureBaseDisk', 'clockParamsFor'];

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

  it('boots the probe from the prepared VM without redoing the preparation: ready, exit code 3, phases', async () => {
    // prepare() in beforeAll went through every step, so the counting reaches them.
    for (const name of PREPARATION) expect(counted.calls.get(name), name).toBeGreaterThan(0);
    const before = new Map(counted.calls);
    // Other args than prepare()'s workload: applied to the cached preparation (exit code 3).
    const instance = await target.launch(probeWorkload(['ready', 'exit=3']));
    instances.push(instance);
    const readyNs = await instance.ready;
    const exit = await instance.exited;
    expect(exit.exitCode).toBe(3);
    expect(readyNs).toBeGreaterThan(instance.launchedAtNs);
    expect(exit.atNs).toBeGreaterThanOrEqual(readyNs);
    expect(instance.outputLines().some((line) => line.startsWith('ISOBENCH-READY '))).toBe(true);
    // Only the per-launch host work (named phases), then QEMU, up to the exit marker.
    const phases = Object.entries(instance.phases());
    expect(phases.map(([key]) => key)).toEqual([
      'vmRecordNs',
      'diskOverlayNs',
      'qemuStartNs',
      'kernelNs',
      'initNs',
      'readyNs',
      'exitNs',
    ]);
    // In order where the host stamps the mark (kernelNs is an estimate from the guest's uptime).
    const stamped = phases.filter(([key]) => key !== 'kernelNs').map(([, ns]) => ns);
    expect(stamped).toEqual([...stamped].sort((a, b) => a - b));
    expect(Number(exit.atNs - instance.launchedAtNs)).toBe(instance.phases().exitNs);
    expect(await instance.writableBytes()).toBeGreaterThan(0);
    await instance.dispose();
    expect(await listVmIds(rootLayout(root))).toEqual([]);
    expect(Object.fromEntries(counted.calls)).toEqual(Object.fromEntries(before));
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
