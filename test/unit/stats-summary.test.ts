import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { checkOutliers, findOutliers, summarize } from '../../src/stats/index.js';

describe('summarize', () => {
  it('gives the exact statistics of 1..10', () => {
    const summary = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(summary.n).toBe(10);
    expect(summary.min).toBe(1);
    expect(summary.max).toBe(10);
    expect(summary.mean).toBe(5.5);
    expect(summary.median).toBe(5.5);
    expect(summary.p95).toBeCloseTo(9.55, 12);
    // sum((x - 5.5)^2) = 82.5; 82.5 / 9 under the root.
    expect(summary.stddev).toBeCloseTo(Math.sqrt(82.5 / 9), 14);
    // |x - 5.5| = 0.5, 0.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5 -> median 2.5.
    expect(summary.mad).toBe(2.5);
    expect(summary.outliers).toEqual({ rule: 'modified-z', zLimit: 3.5, indices: [] });
    // n = 10: ranks 2 and 9, coverage 1 - 2 * 11/1024.
    expect(summary.ci).toMatchObject({ state: 'interval', level: 0.95, low: 2, high: 9, lowRank: 2, highRank: 9 });
    expect(summary.ci.state === 'interval' && summary.ci.coverage).toBeCloseTo(1 - 22 / 1024, 14);
  });

  it('gives stddev 0, mad 0, no interval and no outlier rule for a single sample', () => {
    const summary = summarize([42]);
    expect(summary).toMatchObject({ n: 1, min: 42, max: 42, mean: 42, median: 42, p95: 42, stddev: 0, mad: 0 });
    expect(summary.ci).toMatchObject({ state: 'n-too-small', reason: 'n too small for a 95 % interval', minN: 6 });
    expect(summary.outliers).toEqual({ rule: 'none', minN: 10, reason: 'not checked below n = 10' });
  });

  it('uses the requested confidence level, and is deterministic', () => {
    const xs = [12, 15, 11, 19, 14, 13, 17, 16, 18, 10, 20, 14];
    const summary = summarize(xs, { confidence: 0.9 });
    expect(summary.ci.level).toBe(0.9);
    expect(summarize(xs, { confidence: 0.9 })).toEqual(summary);
    // At 90 % n = 5 has an interval: [min, max] covers 1 - 2/32 = 93.75 %.
    expect(summarize([5, 1, 4, 2, 3], { confidence: 0.9 }).ci).toMatchObject({ state: 'interval', low: 1, high: 5 });
  });

  it('throws InputError naming what was expected and what it got', () => {
    expect(() => summarize([])).toThrow(InputError);
    expect(() => summarize([])).toThrow('expected samples to hold at least one number, got an empty array');
    expect(() => summarize([1, Number.NaN])).toThrow('expected samples to be finite numbers, got NaN at index 1');
    expect(() => summarize([Number.POSITIVE_INFINITY])).toThrow(
      'expected samples to be finite numbers, got Infinity at index 0',
    );
    expect(() => summarize([1, 2], { confidence: 1 })).toThrow('expected the confidence level to be in (0, 1), got 1');
  });
});

describe('outliers', () => {
  const notChecked = { rule: 'none', minN: 10, reason: 'not checked below n = 10' };

  it('applies no rule at n = 3 or n = 9, however far a value lies', () => {
    expect(checkOutliers([10, 11, 1000])).toEqual(notChecked);
    expect(checkOutliers([10, 11, 12, 10, 11, 12, 10, 11, 1000])).toEqual(notChecked);
    expect(summarize([10, 11, 1000]).outliers).toEqual(notChecked);
  });

  it('flags by modified z-score from n = 10, by input index', () => {
    // median 11; |x - 11| = 1,0,1,1,0,1,1,0,1,89 -> mad 1; z(100) = 0.6745 * 89 = 60.0, z(10) = 0.67.
    expect(checkOutliers([10, 11, 12, 10, 11, 12, 10, 11, 12, 100])).toEqual({
      rule: 'modified-z',
      zLimit: 3.5,
      indices: [9],
    });
  });

  it('flags exactly the samples beyond the 3.5 cut-off', () => {
    // median 100; |x - 100| sorted = 0,0,0,1,2,2,3,3,4,4,15,16,40 -> mad 3.
    // z = 0.6745 * d / 3 > 3.5 iff d > 15.57: 116 (z 3.597) and 140 (z 8.99) are flagged, 85 (z 3.37) is not.
    const xs = [100, 102, 98, 104, 96, 100, 103, 97, 100, 116, 85, 140, 99];
    const summary = summarize(xs);
    expect(summary.median).toBe(100);
    expect(summary.mad).toBe(3);
    expect(summary.outliers).toEqual({ rule: 'modified-z', zLimit: 3.5, indices: [9, 11] });
  });

  it('flags nothing when mad is 0, whatever the spread of the rest', () => {
    expect(findOutliers([5, 5, 5, 5, 1000], 5, 0)).toEqual([]);
    expect(checkOutliers([5, 5, 5, 5, 5, 5, 5, 5, 5, 1000])).toMatchObject({ rule: 'modified-z', indices: [] });
  });
});
