import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  memoryFiguresOf,
  parseSmapsRollup,
  readProcessesMemory,
  readProcessMemory,
  readProcessTreeMemory,
} from '../../src/measure/process-memory.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/proc');
const KiB = 1024;

/** A smaps_rollup with the PSS split lines (Linux 5.x and later). */
function smapsSplit(fields: { pss: number; pssAnon: number; pssFile: number; pssShmem: number }) {
  return [
    '55d0c0000000-7ffc00000000 ---p 00000000 00:00 0                          [rollup]',
    `Rss:            ${fields.pss * 2} kB`,
    `Pss:            ${fields.pss} kB`,
    `Pss_Anon:       ${fields.pssAnon} kB`,
    `Pss_File:       ${fields.pssFile} kB`,
    `Pss_Shmem:      ${fields.pssShmem} kB`,
    `Private_Clean:  0 kB`,
    `Private_Dirty:  ${fields.pssAnon} kB`,
    `Swap:           0 kB`,
    '',
  ].join('\n');
}

function smaps(fields: { rss: number; pss: number; privClean: number; privDirty: number; swap: number; anon: number }) {
  return [
    '55d0c0000000-7ffc00000000 ---p 00000000 00:00 0                          [rollup]',
    `Rss:            ${fields.rss} kB`,
    `Pss:            ${fields.pss} kB`,
    `Shared_Clean:          0 kB`,
    `Private_Clean:  ${fields.privClean} kB`,
    `Private_Dirty:  ${fields.privDirty} kB`,
    `Anonymous:      ${fields.anon} kB`,
    `Swap:           ${fields.swap} kB`,
    '',
  ].join('\n');
}

describe('parseSmapsRollup', () => {
  it('reads the captured smaps_rollup of a sleep process exactly', async () => {
    const memory = parseSmapsRollup(await readFile(path.join(FIXTURES, 'smaps_rollup'), 'utf8'));
    expect(memory).toEqual({
      rssBytes: 1804 * KiB,
      pssBytes: 286 * KiB,
      ussBytes: (16 + 104) * KiB,
      swapBytes: 0,
      anonBytes: 104 * KiB,
      pssSplit: { anonBytes: 104 * KiB, fileBytes: 182 * KiB, shmemBytes: 0 },
    });
  });

  it('gives zeros for an empty file (kernel thread) and leaves anonBytes out', () => {
    expect(parseSmapsRollup('')).toEqual({ rssBytes: 0, pssBytes: 0, ussBytes: 0, swapBytes: 0 });
  });
});

describe('readProcessTreeMemory on a fake /proc', () => {
  let procRoot: string;

  async function addProcess(pid: number, ppid: number, children: number[] | null, smapsText: string) {
    const dir = path.join(procRoot, String(pid));
    await mkdir(path.join(dir, 'task', String(pid)), { recursive: true });
    await writeFile(path.join(dir, 'stat'), `${pid} (proc ${pid}) S ${ppid} ${pid} ${pid} 0 -1 4194304 0`);
    if (children !== null) await writeFile(path.join(dir, 'task', String(pid), 'children'), children.join(' '));
    await writeFile(path.join(dir, 'smaps_rollup'), smapsText);
  }

  beforeEach(async () => {
    procRoot = await mkdtemp(path.join(os.tmpdir(), 'isobench-fakeproc-'));
  });
  afterEach(async () => {
    await rm(procRoot, { recursive: true, force: true });
  });

  it('sums root and descendants, skipping a child that vanished', async () => {
    // 100 -> 101 -> 103, 100 -> 102 (listed as a child but gone from /proc); 200 is unrelated.
    await addProcess(
      100,
      1,
      [101, 102],
      smaps({ rss: 1000, pss: 500, privClean: 10, privDirty: 90, swap: 4, anon: 80 }),
    );
    await addProcess(
      101,
      100,
      [103],
      smaps({ rss: 2000, pss: 700, privClean: 20, privDirty: 180, swap: 0, anon: 150 }),
    );
    await addProcess(103, 101, [], smaps({ rss: 300, pss: 30, privClean: 3, privDirty: 7, swap: 8, anon: 5 }));
    await addProcess(200, 1, [], smaps({ rss: 9999, pss: 9999, privClean: 9, privDirty: 9, swap: 9, anon: 9 }));

    const memory = await readProcessTreeMemory(100, { procRoot });
    expect(memory).toEqual({
      pids: [100, 101, 103],
      rssBytes: 3300 * KiB,
      pssBytes: 1230 * KiB,
      ussBytes: (100 + 200 + 10) * KiB,
      swapBytes: 12 * KiB,
      anonBytes: 235 * KiB,
    });
  });

  it('sums the PSS split over the tree, so memory.instance (anon + shmem) adds up like the PSS', async () => {
    // A QEMU-like root: guest RAM anonymous, the kernel file mapped; one child with memfd pages.
    await addProcess(100, 1, [101], smapsSplit({ pss: 250_000, pssAnon: 190_000, pssFile: 60_000, pssShmem: 0 }));
    await addProcess(101, 100, [], smapsSplit({ pss: 1_300, pssAnon: 200, pssFile: 100, pssShmem: 1_000 }));
    const memory = await readProcessTreeMemory(100, { procRoot });
    expect(memory.pssBytes).toBe(251_300 * KiB);
    expect(memory.pssSplit).toEqual({ anonBytes: 190_200 * KiB, fileBytes: 60_100 * KiB, shmemBytes: 1_000 * KiB });
    expect(memoryFiguresOf(memory)).toEqual({
      pssBytes: 251_300 * KiB,
      ussBytes: 190_200 * KiB,
      rssBytes: 502_600 * KiB,
      pssSplit: { anonBytes: 190_200 * KiB, fileBytes: 60_100 * KiB, shmemBytes: 1_000 * KiB },
    });
  });

  it('leaves the split out when one process of the tree lacks it (an old kernel), rather than under-count', async () => {
    await addProcess(100, 1, [101], smapsSplit({ pss: 500, pssAnon: 400, pssFile: 100, pssShmem: 0 }));
    await addProcess(101, 100, [], smaps({ rss: 10, pss: 10, privClean: 0, privDirty: 10, swap: 0, anon: 10 }));
    const memory = await readProcessTreeMemory(100, { procRoot });
    expect(memory.pssBytes).toBe(510 * KiB);
    expect(memory.pssSplit).toBeUndefined();
    expect(memoryFiguresOf(memory)).not.toHaveProperty('pssSplit');
  });

  it('readProcessesMemory reads each pid once, skipping vanished ones', async () => {
    await addProcess(100, 1, [], smapsSplit({ pss: 500, pssAnon: 400, pssFile: 100, pssShmem: 0 }));
    await addProcess(200, 1, [], smapsSplit({ pss: 30, pssAnon: 10, pssFile: 20, pssShmem: 0 }));
    const memory = readProcessesMemory([100, 200, 100, 999], { procRoot });
    expect(memory.pids).toEqual([100, 200]);
    expect(memory.pssBytes).toBe(530 * KiB);
    expect(memory.pssSplit).toEqual({ anonBytes: 410 * KiB, fileBytes: 120 * KiB, shmemBytes: 0 });
  });

  it('counts a process whose smaps_rollup vanished after listing as absent', async () => {
    await addProcess(100, 1, [101], smaps({ rss: 10, pss: 10, privClean: 0, privDirty: 10, swap: 0, anon: 10 }));
    await addProcess(101, 100, [], smaps({ rss: 1, pss: 1, privClean: 0, privDirty: 1, swap: 0, anon: 1 }));
    await rm(path.join(procRoot, '101', 'smaps_rollup'));
    const memory = await readProcessTreeMemory(100, { procRoot });
    expect(memory.pids).toEqual([100]);
    expect(memory.pssBytes).toBe(10 * KiB);
  });

  it('gives zeros and no pids when the root is gone', async () => {
    expect(await readProcessTreeMemory(4242, { procRoot })).toEqual({
      pids: [],
      rssBytes: 0,
      pssBytes: 0,
      ussBytes: 0,
      swapBytes: 0,
      pssSplit: { anonBytes: 0, fileBytes: 0, shmemBytes: 0 },
    });
    expect(await readProcessMemory(4242, { procRoot })).toBeUndefined();
  });
});
