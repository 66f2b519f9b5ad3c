// The kernel cache without compiling: a fake builder stands in for tar + make, so the key, the
// lock, the atomic publish and the sweep of dead builders are tested in milliseconds.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CacheLayout, cacheLayout } from '../../src/paths.js';
import {
  ensureBuiltKernel,
  type KernelBuilder,
  type KernelBuildInputs,
  kernelBuildKey,
  localVersionFor,
  readCachedKernel,
  sweepStaleKernelBuilds,
} from '../../src/vm/kernel-build.js';
import { parseKconfigFragment } from '../../src/vm/kernel-fragment.js';

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);

const inputs: KernelBuildInputs = {
  fragmentFile: 'vm-images/t.config',
  settings: parseKconfigFragment('t.config', 'CONFIG_A=y\n# CONFIG_B is not set\n'),
  sourcePackage: 'linux-source-6.1',
  sourceVersion: '6.1.1-1',
  tarball: '/nonexistent.tar.xz',
  compiler: 'gcc (Debian 12.2.0-14) 12.2.0',
  linker: 'GNU ld (GNU Binutils for Debian) 2.40',
};

/** A builder that writes a fake ELF after `delayMs` and counts its calls. */
function fakeBuilder(delayMs = 0, fail = false): KernelBuilder & { calls: number } {
  const builder = async ({ workDir, key }: Parameters<KernelBuilder>[0]) => {
    builder.calls++;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (fail) throw new Error('compiler exploded');
    const vmlinuxPath = path.join(workDir, 'vmlinux');
    const configPath = path.join(workDir, '.config');
    await fs.writeFile(vmlinuxPath, Buffer.concat([ELF, Buffer.alloc(1000)]));
    await fs.writeFile(configPath, 'CONFIG_A=y\n');
    return { vmlinuxPath, configPath, release: `6.1.1${localVersionFor(key)}` };
  };
  builder.calls = 0;
  return builder;
}

describe('kernel build cache', () => {
  let dir: string;
  let cache: CacheLayout;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-kcache-'));
    cache = cacheLayout(dir);
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('keys by content: fragment settings, source version, compiler and linker, not comments', () => {
    const key = kernelBuildKey(inputs);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    const commented = parseKconfigFragment('t.config', '# a comment\n# CONFIG_B is not set\nCONFIG_A=y\n');
    expect(kernelBuildKey({ ...inputs, settings: commented })).toBe(key);
    const changed = parseKconfigFragment('t.config', 'CONFIG_A=y\nCONFIG_B=y\n');
    expect(kernelBuildKey({ ...inputs, settings: changed })).not.toBe(key);
    expect(kernelBuildKey({ ...inputs, sourceVersion: '6.1.2-1' })).not.toBe(key);
    expect(kernelBuildKey({ ...inputs, compiler: 'gcc 13' })).not.toBe(key);
    expect(kernelBuildKey({ ...inputs, linker: 'ld 2.41' })).not.toBe(key);
  });

  it('builds once, then hits the cache', async () => {
    const builder = fakeBuilder();
    const first = await ensureBuiltKernel(cache, inputs, { builder, jobs: 1 });
    expect(first.cacheHit).toBe(false);
    expect(first.meta.release).toBe(`6.1.1-isobench-${first.meta.key.slice(0, 12)}`);
    expect(first.meta.vmlinuxBytes).toBe(1008);
    expect(first.dir).toBe(path.join(cache.kernels, kernelBuildKey(inputs)));
    const second = await ensureBuiltKernel(cache, inputs, { builder, jobs: 1 });
    expect(second.cacheHit).toBe(true);
    expect(second.vmlinuxPath).toBe(first.vmlinuxPath);
    expect(builder.calls).toBe(1);
    expect(await fs.readdir(cache.tmp)).toEqual([]);
  });

  it('lets one of many concurrent callers build; the others wait and find it', async () => {
    const builder = fakeBuilder(100);
    const results = await Promise.all([1, 2, 3].map(() => ensureBuiltKernel(cache, inputs, { builder, jobs: 1 })));
    expect(builder.calls).toBe(1);
    expect(results.filter((r) => !r.cacheHit)).toHaveLength(1);
    expect(new Set(results.map((r) => r.vmlinuxPath)).size).toBe(1);
  });

  it('publishes nothing and leaves no temp dir when the build fails', async () => {
    await expect(ensureBuiltKernel(cache, inputs, { builder: fakeBuilder(0, true), jobs: 1 })).rejects.toThrow(
      'compiler exploded',
    );
    expect(await readCachedKernel(cache, kernelBuildKey(inputs))).toBeUndefined();
    expect(await fs.readdir(cache.tmp)).toEqual([]);
    expect(await fs.readdir(cache.kernels).catch(() => [])).toEqual([]);
  });

  it('rebuilds an entry whose vmlinux no longer matches build.json', async () => {
    const builder = fakeBuilder();
    const first = await ensureBuiltKernel(cache, inputs, { builder, jobs: 1 });
    await fs.truncate(first.vmlinuxPath, 10);
    const again = await ensureBuiltKernel(cache, inputs, { builder, jobs: 1 });
    expect(again.cacheHit).toBe(false);
    expect(builder.calls).toBe(2);
    expect((await fs.stat(again.vmlinuxPath)).size).toBe(1008);
  });

  it('sweeps the temp dirs of dead builders and keeps live ones', async () => {
    await fs.mkdir(cache.tmp, { recursive: true });
    // pid 2^22 + 1 is above the default pid_max: no process has it.
    const dead = `kernel-build-${4194305}-abc`;
    const live = `kernel-build-${process.pid}-def`;
    await fs.mkdir(path.join(cache.tmp, dead));
    await fs.mkdir(path.join(cache.tmp, live));
    expect(await sweepStaleKernelBuilds(cache)).toEqual([dead]);
    expect(await fs.readdir(cache.tmp)).toEqual([live]);
  });
});
