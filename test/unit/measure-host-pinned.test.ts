import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../src/errors.js';
import {
  type PinnedComponents,
  parseStatusPinned,
  pinnedChangeBytes,
  pinnedIncrease,
  readPinnedComponents,
  readProcessPinned,
  settleBaseline,
  totalPinnedBytes,
} from '../../src/measure/host-pinned.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/proc');
const KiB = 1024;

function components(kib: Partial<Record<keyof PinnedComponents, number>>): PinnedComponents {
  const c = {
    anonPagesBytes: 0,
    shmemBytes: 0,
    sUnreclaimBytes: 0,
    kernelStackBytes: 0,
    pageTablesBytes: 0,
    percpuBytes: 0,
  };
  for (const [key, value] of Object.entries(kib)) c[key as keyof PinnedComponents] = value * KiB;
  return c;
}

describe('readPinnedComponents on a fake /proc', () => {
  let procRoot: string;
  beforeEach(async () => {
    procRoot = await mkdtemp(path.join(os.tmpdir(), 'isobench-fakeproc-'));
  });
  afterEach(async () => {
    await rm(procRoot, { recursive: true, force: true });
  });

  it('reads the six components of the captured meminfo exactly, and sums them', async () => {
    await copyFile(path.join(FIXTURES, 'meminfo'), path.join(procRoot, 'meminfo'));
    const read = await readPinnedComponents({ procRoot });
    expect(read).toEqual(
      components({
        anonPagesBytes: 23320,
        shmemBytes: 8872,
        sUnreclaimBytes: 25608,
        kernelStackBytes: 1552,
        pageTablesBytes: 2048,
        percpuBytes: 688,
      }),
    );
    expect(totalPinnedBytes(read)).toBe((23320 + 8872 + 25608 + 1552 + 2048 + 688) * KiB);
  });

  it('refuses a meminfo without one of the components, naming it', async () => {
    await writeFile(
      path.join(procRoot, 'meminfo'),
      'MemTotal: 100 kB\nAnonPages: 1 kB\nShmem: 1 kB\nSUnreclaim: 1 kB\nKernelStack: 1 kB\nPageTables: 1 kB\n',
    );
    const error = await readPinnedComponents({ procRoot }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toBe('/proc/meminfo has no Percpu line: host memory by component cannot be read');
  });
});

describe("the harness's own share", () => {
  let procRoot: string;
  beforeEach(async () => {
    procRoot = await mkdtemp(path.join(os.tmpdir(), 'isobench-fakeproc-'));
  });
  afterEach(async () => {
    await rm(procRoot, { recursive: true, force: true });
  });

  it('reads RssAnon, RssShmem and VmPTE of the captured status of a node process (tab-separated)', async () => {
    await mkdir(path.join(procRoot, 'self'));
    await copyFile(path.join(FIXTURES, 'status'), path.join(procRoot, 'self', 'status'));
    expect(readProcessPinned({ procRoot })).toEqual({
      anonBytes: 6636 * KiB,
      shmemBytes: 0,
      pageTablesBytes: 400 * KiB,
    });
  });

  it('reads another process by pid, and names the missing field or file', async () => {
    await mkdir(path.join(procRoot, '42'));
    await writeFile(path.join(procRoot, '42', 'status'), 'Name:\tx\nRssAnon:\t10 kB\nVmPTE:\t4 kB\n');
    expect(() => readProcessPinned({ pid: 42, procRoot })).toThrow(
      `${path.join(procRoot, '42', 'status')} has no RssShmem line: the harness's own memory cannot be subtracted`,
    );
    expect(() => readProcessPinned({ pid: 43, procRoot })).toThrow(EnvironmentError);
    expect(parseStatusPinned('RssAnon:\t10 kB\nRssShmem:\t2 kB\nVmPTE:\t4 kB\n')).toEqual({
      anonBytes: 10 * KiB,
      shmemBytes: 2 * KiB,
      pageTablesBytes: 4 * KiB,
    });
  });

  it('pinnedIncrease subtracts the baseline per component and the harness change from anon, shmem and page tables', () => {
    const baseline = components({
      anonPagesBytes: 1000,
      shmemBytes: 100,
      sUnreclaimBytes: 500,
      kernelStackBytes: 50,
      pageTablesBytes: 40,
      percpuBytes: 10,
    });
    const loaded = components({
      anonPagesBytes: 3000,
      shmemBytes: 150,
      sUnreclaimBytes: 800,
      kernelStackBytes: 66,
      pageTablesBytes: 100,
      percpuBytes: 12,
    });
    // The harness grew its heap by 500 KiB and its page tables by 8 KiB meanwhile: not the instances'.
    const before = { anonBytes: 20_000 * KiB, shmemBytes: 0, pageTablesBytes: 400 * KiB };
    const after = { anonBytes: 20_500 * KiB, shmemBytes: 10 * KiB, pageTablesBytes: 408 * KiB };
    const increase = pinnedIncrease(baseline, loaded, before, after);
    expect(increase).toEqual(
      components({
        anonPagesBytes: 2000 - 500,
        shmemBytes: 50 - 10,
        sUnreclaimBytes: 300,
        kernelStackBytes: 16,
        pageTablesBytes: 60 - 8,
        percpuBytes: 2,
      }),
    );
    expect(totalPinnedBytes(increase)).toBe((1500 + 40 + 300 + 16 + 52 + 2) * KiB);
  });

  it('keeps a negative component as measured (the host freed memory meanwhile)', () => {
    const increase = pinnedIncrease(
      components({ anonPagesBytes: 1000 }),
      components({ anonPagesBytes: 900 }),
      { anonBytes: 0, shmemBytes: 0, pageTablesBytes: 0 },
      { anonBytes: 0, shmemBytes: 0, pageTablesBytes: 0 },
    );
    expect(increase.anonPagesBytes).toBe(-100 * KiB);
  });
});

describe('settleBaseline', () => {
  /** A fake clock advanced by the fake sleep, and a reader returning the given readings in turn. */
  function fakes(readings: PinnedComponents[]) {
    let nowNs = 0n;
    let index = 0;
    return {
      read: async () => readings[Math.min(index++, readings.length - 1)]!,
      sleep: async (ms: number) => {
        nowNs += BigInt(ms * 1e6);
      },
      clock: { nowNs: () => nowNs },
      reads: () => index,
    };
  }

  it('pinnedChangeBytes sums the absolute changes, so opposite moves do not cancel', () => {
    const a = components({ anonPagesBytes: 1000, sUnreclaimBytes: 500 });
    const b = components({ anonPagesBytes: 1200, sUnreclaimBytes: 300 });
    expect(pinnedChangeBytes(a, b)).toBe(400 * KiB);
    expect(totalPinnedBytes(a)).toBe(totalPinnedBytes(b));
  });

  it('settles at the first pair of successive readings within the tolerance and keeps the later one', async () => {
    const f = fakes([
      components({ anonPagesBytes: 9000 }),
      components({ anonPagesBytes: 5000 }),
      components({ anonPagesBytes: 4000 }),
      components({ anonPagesBytes: 3900, sUnreclaimBytes: 20 }),
      components({ anonPagesBytes: 100 }),
    ]);
    const baseline = await settleBaseline({ toleranceBytes: 128 * KiB, maxWaitMs: 10_000, intervalMs: 500, ...f });
    expect(baseline).toEqual({
      settled: true,
      waitedMs: 1500,
      readings: 4,
      lastChangeBytes: 120 * KiB,
      components: components({ anonPagesBytes: 3900, sUnreclaimBytes: 20 }),
    });
  });

  it('gives up after maxWaitMs with the last reading, saying it did not settle', async () => {
    const f = fakes(Array.from({ length: 100 }, (_, i) => components({ anonPagesBytes: 1000 * (i % 2) })));
    const baseline = await settleBaseline({ toleranceBytes: 512 * KiB, maxWaitMs: 2000, intervalMs: 500, ...f });
    expect(baseline.settled).toBe(false);
    expect(baseline.waitedMs).toBe(2000);
    expect(baseline.readings).toBe(5);
    expect(baseline.lastChangeBytes).toBe(1000 * KiB);
    expect(baseline.components).toEqual(components({ anonPagesBytes: 0 }));
  });

  it('takes one reading and waits not at all when maxWaitMs is 0; stops at an abort', async () => {
    const once = fakes([components({ percpuBytes: 8 })]);
    expect(await settleBaseline({ toleranceBytes: 0, maxWaitMs: 0, intervalMs: 500, ...once })).toEqual({
      settled: false,
      waitedMs: 0,
      readings: 1,
      lastChangeBytes: 0,
      components: components({ percpuBytes: 8 }),
    });
    const controller = new AbortController();
    controller.abort();
    const aborted = fakes([components({}), components({})]);
    const baseline = await settleBaseline({
      toleranceBytes: 0,
      maxWaitMs: 10_000,
      intervalMs: 500,
      signal: controller.signal,
      ...aborted,
    });
    expect(baseline.readings).toBe(1);
    expect(baseline.settled).toBe(false);
  });

  it('rejects a negative tolerance or a zero interval', async () => {
    await expect(settleBaseline({ toleranceBytes: -1, maxWaitMs: 0, intervalMs: 1 })).rejects.toThrow(RangeError);
    await expect(settleBaseline({ toleranceBytes: 0, maxWaitMs: 0, intervalMs: 0 })).rejects.toThrow(RangeError);
  });
});
