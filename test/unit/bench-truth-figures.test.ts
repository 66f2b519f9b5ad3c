import { describe, expect, it } from 'vitest';
import {
  clockDifferences,
  descendantsOf,
  memoryCgroupOf,
  parseComputeLine,
  parsePsTable,
  sumSmapsRollups,
  truthRatio,
} from '../../bench/lib/truth-figures.js';

const ROLLUP = `55d4c0a00000-7ffd1a5fe000 ---p 00000000 00:00 0                          [rollup]
Rss:               66432 kB
Pss:               65600 kB
Pss_Dirty:         65540 kB
Pss_Anon:          65540 kB
Pss_File:             60 kB
Pss_Shmem:             0 kB
Shared_Clean:        832 kB
Anonymous:         65540 kB
Swap:                  0 kB
`;

describe('parsePsTable and descendantsOf', () => {
  const rows = parsePsTable(
    [
      '    1     0 /sbin/init',
      '  100     1 node dist/bench/truth.js',
      '  200   100 isobench-helper monitor',
      '  201   200 isobench-probe alloc=64 ready=TRUTH-ab idle',
      '  202   201 sh -c x',
      '  300     1 unrelated',
      'garbage line',
    ].join('\n'),
  );

  it('reads pid, ppid and the whole argument string, skipping other lines', () => {
    expect(rows).toHaveLength(6);
    expect(rows[3]).toEqual({ pid: 201, ppid: 200, args: 'isobench-probe alloc=64 ready=TRUTH-ab idle' });
  });

  it('lists the root first and every descendant once, not siblings of the root', () => {
    expect(descendantsOf(rows, 200)).toEqual([200, 201, 202]);
    expect(descendantsOf(rows, 202)).toEqual([202]);
    expect(descendantsOf(rows, 999)).toEqual([999]);
  });
});

describe('sumSmapsRollups', () => {
  it('sums Pss, Pss_Anon, Pss_File, Pss_Shmem and Rss over processes in bytes; empty texts add nothing', () => {
    expect(sumSmapsRollups([ROLLUP, '', ROLLUP])).toEqual({
      pssBytes: 2 * 65600 * 1024,
      pssAnonBytes: 2 * 65540 * 1024,
      pssFileBytes: 2 * 60 * 1024,
      pssShmemBytes: 0,
      rssBytes: 2 * 66432 * 1024,
    });
  });

  it('does not take Pss_Dirty for Pss, and rejects a known field without "N kB"', () => {
    expect(sumSmapsRollups(['Pss_Dirty: 5 kB\nPss: 1 kB\n']).pssBytes).toBe(1024);
    expect(() => sumSmapsRollups(['Pss: lots\n'])).toThrow(/unexpected smaps_rollup line/);
  });
});

describe('memoryCgroupOf', () => {
  it('prefers the v1 memory hierarchy on a hybrid host', () => {
    const text = '12:pids:/a\n7:cpu,cpuacct:/b\n4:memory:/isobench/c1\n0::/unified-path\n';
    expect(memoryCgroupOf(text)).toEqual({ version: 1, path: '/isobench/c1' });
  });

  it('falls back to the v2 path, and gives undefined without either', () => {
    expect(memoryCgroupOf('0::/isobench/c2\n')).toEqual({ version: 2, path: '/isobench/c2' });
    expect(memoryCgroupOf('3:pids:/x\n')).toBeUndefined();
  });
});

describe('truthRatio', () => {
  it('divides harness by independent', () => {
    expect(truthRatio(105, 100)).toBeCloseTo(1.05, 12);
  });

  it('is null when the independent figure is zero, negative or not finite', () => {
    expect(truthRatio(1, 0)).toBeNull();
    expect(truthRatio(1, -3)).toBeNull();
    expect(truthRatio(Number.NaN, 2)).toBeNull();
    expect(truthRatio(1, Number.POSITIVE_INFINITY)).toBeNull();
  });
});

describe('VM clock helpers', () => {
  it('takes large minus small on each clock, so a fixed cost on either side cancels', () => {
    const fixedHostNs = 7e6;
    expect(
      clockDifferences({
        guestSmallNs: 1e9,
        guestLargeNs: 5e9,
        hostSmallNs: 1e9 + fixedHostNs,
        hostLargeNs: 5.2e9 + fixedHostNs,
      }),
    ).toEqual({ guestDiffNs: 4e9, hostDiffNs: 4.2e9 });
  });

  it("parses the probe's compute report and nothing else", () => {
    expect(parseComputeLine('isobench-probe compute rounds=600 ns=6700000123 result=42\r')).toEqual({
      rounds: 600,
      ns: 6700000123,
    });
    expect(parseComputeLine('TRUTH-CLOCK 123')).toBeUndefined();
    expect(parseComputeLine('isobench-probe alloc mib=64')).toBeUndefined();
  });
});
