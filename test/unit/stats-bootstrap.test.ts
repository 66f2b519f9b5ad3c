import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { bootstrapCi, bootstrapRatioCi, createRandom, median } from '../../src/stats/index.js';

const symmetric = [91, 94, 95, 97, 98, 99, 100, 100, 101, 102, 103, 105, 106, 109, 90, 110, 96, 104, 93, 107];

describe('bootstrapCi', () => {
  it('gives the same interval for the same samples and seed, another for another seed', () => {
    const a = bootstrapCi(symmetric, median, { seed: 11 });
    const b = bootstrapCi(symmetric, median, { seed: 11 });
    expect(a).toEqual(b);
    // The median of integer samples takes few values, so compare seeds on the mean, which varies finely.
    const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(bootstrapCi(symmetric, mean, { seed: 12 })).toEqual(bootstrapCi(symmetric, mean, { seed: 12 }));
    expect(bootstrapCi(symmetric, mean, { seed: 12 })).not.toEqual(bootstrapCi(symmetric, mean, { seed: 13 }));
  });

  it('contains the true median (100) of a symmetric sample, and lies within its range', () => {
    const ci = bootstrapCi(symmetric, median, { level: 0.95, resamples: 2000, seed: 1 });
    expect(ci.level).toBe(0.95);
    expect(ci.low).toBeLessThan(100);
    expect(ci.high).toBeGreaterThan(100);
    expect(ci.low).toBeGreaterThanOrEqual(90);
    expect(ci.high).toBeLessThanOrEqual(110);
  });

  it('narrows as the level falls', () => {
    const wide = bootstrapCi(symmetric, median, { level: 0.99, seed: 2 });
    const narrow = bootstrapCi(symmetric, median, { level: 0.5, seed: 2 });
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low);
  });

  it('covers the true median in close to 95% of 200 normal data sets (n = 30)', () => {
    const random = createRandom(2024);
    let covered = 0;
    for (let trial = 0; trial < 200; trial++) {
      const xs = Array.from({ length: 30 }, () => 50 + 5 * random.nextNormal());
      const ci = bootstrapCi(xs, median, { resamples: 1000, seed: trial });
      if (ci.low <= 50 && 50 <= ci.high) covered++;
    }
    // Binomial(200, 0.95) has sd 3.1: 176..199 is a generous band that still catches a broken interval.
    expect(covered).toBeGreaterThanOrEqual(176);
    expect(covered).toBeLessThanOrEqual(199);
  });

  it('rejects bad options, naming expected and got', () => {
    expect(() => bootstrapCi([1, 2], median, { level: 0 })).toThrow(
      'expected the confidence level to be in (0, 1), got 0',
    );
    expect(() => bootstrapCi([1, 2], median, { resamples: 0 })).toThrow(
      'expected resamples to be a positive integer, got 0',
    );
    expect(() => bootstrapCi([], median)).toThrow(InputError);
  });
});

describe('bootstrapRatioCi', () => {
  it('is a point interval for constant samples', () => {
    expect(bootstrapRatioCi([30, 30, 30], [10, 10], median, { seed: 3 })).toEqual({ level: 0.95, low: 3, high: 3 });
  });

  it('contains the true ratio of medians (1.5) of two samples drawn independently', () => {
    const random = createRandom(5);
    const denominator = Array.from({ length: 40 }, () => 200 * Math.exp(0.05 * random.nextNormal()));
    const numerator = Array.from({ length: 40 }, () => 300 * Math.exp(0.05 * random.nextNormal()));
    const ci = bootstrapRatioCi(numerator, denominator, median, { seed: 5 });
    expect(ci.low).toBeLessThan(1.5);
    expect(ci.high).toBeGreaterThan(1.5);
    expect(ci).toEqual(bootstrapRatioCi(numerator, denominator, median, { seed: 5 }));
  });

  it('throws InputError when a resampled denominator statistic is 0', () => {
    expect(() => bootstrapRatioCi([1, 2, 3], [0, 0, 0], median)).toThrow(/expected a finite ratio in every resample/);
  });
});
