import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../src/errors.js';
import { parseMemInfo, parseSelectedValue, readHostMemoryState, readMemInfo } from '../../src/measure/host-memory.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/proc');
const KiB = 1024;

describe('parseMemInfo', () => {
  it('reads the captured meminfo exactly', async () => {
    const info = parseMemInfo(await readFile(path.join(FIXTURES, 'meminfo'), 'utf8'));
    expect(info).toMatchObject({
      memTotalBytes: 24684084 * KiB,
      memFreeBytes: 23655000 * KiB,
      memAvailableBytes: 24317212 * KiB,
      buffersBytes: 4868 * KiB,
      cachedBytes: 824532 * KiB,
      anonPagesBytes: 23320 * KiB,
      shmemBytes: 8872 * KiB,
      slabBytes: 124284 * KiB,
      swapTotalBytes: 0,
      swapFreeBytes: 0,
    });
    // Keys with parentheses, and bare counts without kB.
    expect(info.raw['Active(anon)']).toBeTypeOf('number');
    expect(info.raw.HugePages_Total).toBe(0);
    expect(info.raw.Hugepagesize).toBe(2048 * KiB);
  });

  it('reads 0 for fields an old kernel lacks', () => {
    const info = parseMemInfo('MemTotal: 100 kB\nMemFree: 50 kB\n');
    expect(info.memTotalBytes).toBe(100 * KiB);
    expect(info.memAvailableBytes).toBe(0);
  });
});

describe('readMemInfo', () => {
  it('throws EnvironmentError naming the file when procfs is missing', async () => {
    await expect(readMemInfo({ procRoot: '/nonexistent-proc' })).rejects.toBeInstanceOf(EnvironmentError);
  });
});

describe('parseSelectedValue', () => {
  it('picks the bracketed value', () => {
    expect(parseSelectedValue('always [madvise] never\n')).toBe('madvise');
    expect(parseSelectedValue('always defer defer+madvise [madvise] never')).toBe('madvise');
    expect(parseSelectedValue('[always] madvise never')).toBe('always');
  });

  it('keeps a plain value', () => {
    expect(parseSelectedValue(' never \n')).toBe('never');
  });
});

describe('readHostMemoryState on a fake /sys', () => {
  let sysRoot: string;
  beforeEach(async () => {
    sysRoot = await mkdtemp(path.join(os.tmpdir(), 'isobench-fakesys-'));
  });
  afterEach(async () => {
    await rm(sysRoot, { recursive: true, force: true });
  });

  it('reads KSM counters and the selected THP values', async () => {
    const mm = path.join(sysRoot, 'kernel/mm');
    await mkdir(path.join(mm, 'ksm'), { recursive: true });
    await mkdir(path.join(mm, 'transparent_hugepage'), { recursive: true });
    await writeFile(path.join(mm, 'ksm/run'), '1\n');
    await writeFile(path.join(mm, 'ksm/pages_shared'), '120\n');
    await writeFile(path.join(mm, 'ksm/pages_sharing'), '4501\n');
    await writeFile(path.join(mm, 'transparent_hugepage/enabled'), 'always [madvise] never\n');
    await writeFile(path.join(mm, 'transparent_hugepage/defrag'), 'always defer defer+madvise [madvise] never\n');
    expect(await readHostMemoryState({ sysRoot })).toEqual({
      ksm: { run: 1, pagesShared: 120, pagesSharing: 4501 },
      thp: { enabled: 'madvise', defrag: 'madvise' },
    });
  });

  it('gives null for KSM and THP when the kernel lacks them', async () => {
    expect(await readHostMemoryState({ sysRoot })).toEqual({ ksm: null, thp: null });
  });
});
