import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { mannWhitneyU } from '../../src/stats/index.js';

/** Two-sided exact p by enumerating every split of the pooled ranks 1..m+n (no ties): the reference. */
function enumerateExactP(u: number, m: number, n: number): number {
  const counts = new Map<number, number>();
  let total = 0;
  const choose = (start: number, left: number, rankSum: number): void => {
    if (left === 0) {
      const uOfSplit = rankSum - (m * (m + 1)) / 2;
      counts.set(uOfSplit, (counts.get(uOfSplit) ?? 0) + 1);
      total++;
      return;
    }
    for (let rank = start; rank <= m + n - left + 1; rank++) choose(rank + 1, left - 1, rankSum + rank);
  };
  choose(1, m, 0);
  let lower = 0;
  let upper = 0;
  for (const [k, c] of counts) {
    if (k <= u) lower += c;
    if (k >= u) upper += c;
  }
  return Math.min(1, (2 * Math.min(lower, upper)) / total);
}

describe('mannWhitneyU', () => {
  it("matches R's ?wilcox.test example: W = 35, one-sided p 0.1272, so two-sided 0.2544 (exact)", () => {
    // R: x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46); y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
    // wilcox.test(x, y, alternative = "greater"): W = 35, p-value = 0.1272 (scipy exact: 0.1272061272061272).
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const result = mannWhitneyU(x, y);
    expect(result.u).toBe(35);
    expect(result.method).toBe('exact');
    expect(result.pValue).toBeCloseTo(0.2544122544122544, 14);
    expect(result.z).toBeGreaterThan(0);
  });

  it('matches scipy exact p-values for unequal sizes and for 49 vs 49', () => {
    // scipy.stats.mannwhitneyu(a, b, method='exact'): U = 9, p = 0.0037310470747003253.
    const a = [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8];
    const b = [4.0, 6.1, 5.2, 7.3, 3.9, 6.6, 5.5, 4.8, 7.0, 6.9, 5.9, 4.1];
    const small = mannWhitneyU(a, b);
    expect(small.u).toBe(9);
    expect(small.pValue).toBeCloseTo(0.0037310470747003253, 14);
    // a = 0, 2, ..., 96; b = 21, 23, ..., 117: U = 741, p = 0.0009595747152989116.
    const evens = Array.from({ length: 49 }, (_, i) => 2 * i);
    const large = mannWhitneyU(
      evens,
      evens.map((x) => x + 21),
    );
    expect(large).toMatchObject({ u: 741, method: 'exact' });
    expect(large.pValue).toBeCloseTo(0.0009595747152989116, 14);
  });

  it('agrees with brute-force enumeration of every split for small sizes', () => {
    for (const [m, n] of [
      [1, 1],
      [2, 3],
      [4, 5],
      [6, 6],
      [3, 8],
    ] as const) {
      for (let u = 0; u <= m * n; u++) {
        // The first sample beats exactly u pairs when its ranks are the smallest m shifted up by u in total:
        // build it as values 0..m+n-1 and move the top u "wins" into place by a greedy fill.
        const ranks = buildRanksWithU(m, n, u);
        const a = ranks;
        const b = Array.from({ length: m + n }, (_, i) => i + 1).filter((r) => !ranks.includes(r));
        const result = mannWhitneyU(a, b);
        expect(result.u).toBe(u);
        expect(result.pValue).toBeCloseTo(enumerateExactP(u, m, n), 14);
      }
    }
  });

  it('matches scipy (asymptotic, tie-corrected, continuity-corrected) on tied data', () => {
    // scipy.stats.mannwhitneyu(a, b, method='asymptotic', use_continuity=True): U = 15.5, p = 0.005625214779700691.
    const a = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6];
    const b = [3, 4, 4, 5, 6, 6, 7, 7, 8, 9, 9];
    const result = mannWhitneyU(a, b);
    expect(result).toMatchObject({ u: 15.5, method: 'normal' });
    expect(result.z).toBeCloseTo(-2.76886378514113, 12);
    expect(result.pValue).toBeCloseTo(0.005625214779700691, 14);
  });

  it('uses the normal approximation from n = 50 and matches scipy there', () => {
    // a = 0, 2, ..., 98; b = 21, 23, ..., 119: U = 780, scipy asymptotic p = 0.0012094231070333462.
    const evens = Array.from({ length: 50 }, (_, i) => 2 * i);
    const result = mannWhitneyU(
      evens,
      evens.map((x) => x + 21),
    );
    expect(result).toMatchObject({ u: 780, method: 'normal' });
    expect(result.pValue).toBeCloseTo(0.0012094231070333462, 14);
  });

  it('is symmetric: swapping the samples gives U = n_a n_b - U, -z and the same p', () => {
    const a = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6];
    const b = [3, 4, 4, 5, 6, 6, 7, 7, 8, 9, 9];
    const forward = mannWhitneyU(a, b);
    const backward = mannWhitneyU(b, a);
    expect(backward.u).toBe(a.length * b.length - forward.u);
    expect(backward.z).toBeCloseTo(-forward.z, 14);
    expect(backward.pValue).toBeCloseTo(forward.pValue, 14);
  });

  it('gives p = 1 and z = 0 when every value is equal', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5, 5])).toEqual({ u: 6, z: 0, pValue: 1, method: 'normal' });
  });

  it('rejects empty or non-finite samples', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(InputError);
    expect(() => mannWhitneyU([1], [Number.NaN])).toThrow(
      'expected second samples to be finite numbers, got NaN at index 0',
    );
  });
});

/** Ranks (1..m+n) for a first sample of size m whose U is exactly u. */
function buildRanksWithU(m: number, n: number, u: number): number[] {
  // Start from ranks 1..m (U = 0); each step moves the highest movable rank up by one, raising U by one.
  const ranks = Array.from({ length: m }, (_, i) => i + 1);
  for (let step = 0; step < u; step++) {
    for (let i = m - 1; i >= 0; i--) {
      const limit = i === m - 1 ? m + n : ranks[i + 1]! - 1;
      if (ranks[i]! < limit) {
        ranks[i]!++;
        break;
      }
    }
  }
  return ranks;
}
