import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { findOutliers, summarize } from '../../src/stats/index.js';

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
    expect(summary.outliers).toEqual([]);
    expect(summary.ci.level).toBe(0.95);
    expect(summary.ci.low).toBeLessThanOrEqual(5.5);
    expect(summary.ci.high).toBeGreaterThanOrEqual(5.5);
  });

  it('gives stddev 0, mad 0 and a point CI for a single sample', () => {
    const summary = summarize([42]);
    expect(summary).toMatchObject({ n: 1, min: 42, max: 42, mean: 42, median: 42, p95: 42, stddev: 0, mad: 0 });
    expect(summary.ci).toEqual({ level: 0.95, low: 42, high: 42 });
  });

  it('flags by modified z-score the crafted outliers, by their input index', () => {
    // median 100; |x - 100| sorted = 0,0,0,1,2,2,3,3,4,4,15,16,40 -> mad 3.
    // z = 0.6745 * d / 3 > 3.5 iff d > 15.57: 116 (z 3.597) and 140 (z 8.99) are flagged, 85 (z 3.37) is not.
    const xs = [100, 102, 98, 104, 96, 100, 103, 97, 100, 116, 85, 140, 99];
    const summary = summarize(xs);
    expect(summary.median).toBe(100);
    expect(summary.mad).toBe(3);
    expect(summary.outliers).toEqual([9, 11]);
  });

  it('flags nothing when mad is 0, whatever the spread of the rest', () => {
    expect(findOutliers([5, 5, 5, 5, 1000], 5, 0)).toEqual([]);
    expect(summarize([5, 5, 5, 5, 1000]).outliers).toEqual([]);
  });

  it('uses the requested confidence level and is reproducible with a seed', () => {
    const xs = [12, 15, 11, 19, 14, 13, 17, 16, 18, 10, 20, 14];
    const a = summarize(xs, { confidence: 0.9, resamples: 500, seed: 7 });
    const b = summarize(xs, { confidence: 0.9, resamples: 500, seed: 7 });
    expect(a.ci).toEqual(b.ci);
    expect(a.ci.level).toBe(0.9);
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
