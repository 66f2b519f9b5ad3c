import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CachedImageStore, type RuntimeImageStore } from '../../src/container/context.js';
import type { StoredImage } from '../../src/image/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fakeStore() {
  const calls = { resolve: 0, lowerDirs: 0 };
  let version = 1;
  const store: RuntimeImageStore = {
    async resolve(ref) {
      calls.resolve++;
      return {
        refs: [ref],
        digest: `sha256:${version}`,
        configDigest: '',
        config: {} as StoredImage['config'],
        layers: [],
      };
    },
    async lowerDirs(image) {
      calls.lowerDirs++;
      return [`/layers/${image.digest}`];
    },
  };
  return { store, calls, bump: () => version++ };
}

describe('CachedImageStore', () => {
  it('answers from memory while index.json is the same file, and re-reads once it is replaced', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-cache-'));
    dirs.push(dir);
    const index = path.join(dir, 'index.json');
    writeFileSync(index, '{"v":1}');
    const { store, calls, bump } = fakeStore();
    const cached = new CachedImageStore(store, index);

    const a = await cached.resolve('busybox');
    expect(await cached.resolve('busybox')).toBe(a);
    expect(await cached.lowerDirs(a)).toEqual(['/layers/sha256:1']);
    await cached.lowerDirs(a);
    expect(calls).toEqual({ resolve: 1, lowerDirs: 1 });

    // The store replaces index.json by rename on every change: a new inode.
    bump();
    writeFileSync(`${index}.tmp`, '{"v":2}');
    renameSync(`${index}.tmp`, index);
    const b = await cached.resolve('busybox');
    expect(b.digest).toBe('sha256:2');
    expect(await cached.lowerDirs(b)).toEqual(['/layers/sha256:2']);
    expect(calls).toEqual({ resolve: 2, lowerDirs: 2 });
  });
});
