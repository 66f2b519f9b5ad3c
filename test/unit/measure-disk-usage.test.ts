import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { measureDiskUsage } from '../../src/measure/disk-usage.js';

// du(1) counts each inode once across its arguments and does not follow symlinks: an independent oracle.
function duAllocatedBytes(...paths: string[]): number {
  const out = execFileSync('du', ['-s', '-x', '-B1', '--total', ...paths], { encoding: 'utf8' });
  return Number(out.trim().split('\n').at(-1)!.split('\t')[0]);
}

describe('measureDiskUsage on real files', () => {
  let root: string;
  let a: string;
  let b: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'isobench-disk-'));
    a = path.join(root, 'a');
    b = path.join(root, 'b');
    await mkdir(a);
    await mkdir(b);
    await writeFile(path.join(a, 'big.bin'), randomBytes(100_000));
    await link(path.join(a, 'big.bin'), path.join(a, 'big-link.bin'));
    await symlink('big.bin', path.join(a, 'sym'));
    await link(path.join(a, 'big.bin'), path.join(b, 'big-from-a.bin'));
    await writeFile(path.join(b, 'small.txt'), 'hello');
    await writeFile(path.join(b, 'sparse'), '');
    await truncate(path.join(b, 'sparse'), 1 << 20);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('counts a hardlinked file once and does not follow symlinks', async () => {
    const usage = await measureDiskUsage([a]);
    const dirSize = Number((await lstat(a)).size);
    // big.bin (+ its hardlink, same inode) and the symlink, whose size is its target's length.
    expect(usage.files).toBe(2);
    expect(usage.dirs).toBe(1);
    expect(usage.apparentBytes).toBe(100_000 + 'big.bin'.length + dirSize);
    expect(usage.allocatedBytes).toBe(duAllocatedBytes(a));
  });

  it('counts the same dir given twice once', async () => {
    expect(await measureDiskUsage([a, a])).toEqual(await measureDiskUsage([a]));
  });

  it('counts a sparse file by its allocated blocks, not its size', async () => {
    const usage = await measureDiskUsage([path.join(b, 'sparse')]);
    expect(usage).toMatchObject({ files: 1, dirs: 0, apparentBytes: 1 << 20 });
    expect(usage.allocatedBytes).toBe(Number((await lstat(path.join(b, 'sparse'))).blocks) * 512);
    expect(usage.allocatedBytes).toBeLessThan(1 << 20);
  });

  it('counts content shared between two measurements once with a shared inode set', async () => {
    const counted = new Set<string>();
    const first = await measureDiskUsage([a], { countedInodes: counted });
    const second = await measureDiskUsage([b], { countedInodes: counted });
    // b's hardlink of big.bin was already counted with a.
    expect(second.files).toBe(2);
    expect(second.dirs).toBe(1);
    expect(second.apparentBytes).toBe(5 + (1 << 20) + Number((await lstat(b)).size));
    expect(first.allocatedBytes + second.allocatedBytes).toBe(duAllocatedBytes(a, b));
    expect(await measureDiskUsage([a, b])).toEqual({
      allocatedBytes: first.allocatedBytes + second.allocatedBytes,
      apparentBytes: first.apparentBytes + second.apparentBytes,
      files: 4,
      dirs: 2,
    });
  });

  it('throws NotFoundError for a missing top-level path', async () => {
    await expect(measureDiskUsage([path.join(root, 'nope')])).rejects.toBeInstanceOf(NotFoundError);
  });
});
