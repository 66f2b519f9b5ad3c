// Confidence interval of the ratio of two independent samples' locations (e.g. container over
// native): the Hodges–Lehmann interval of the shift of log values, from the Mann–Whitney test.
//
// Why this method. Model: the numerator's values are the denominator's times a constant theta
// (a scale shift: same shape, another scale), so log values differ by the shift log(theta). The set
// of shifts the exact two-sided Mann–Whitney test does not reject is an interval between two order
// statistics of the m*n differences log a_i - log b_j, and it covers log(theta) with exactly the
// test's coverage, for any continuous distribution and any m, n where the test can reach the level
// (Lehmann, Nonparametrics: Statistical Methods Based on Ranks, 1975). Exponentiated, it is a CI of
// theta. Under the model theta is the ratio of every quantile, so also of the medians: the ratio of
// medians stays the point estimate. Where the shapes differ (one target with a heavier tail), the
// interval is about the median of the pairwise ratios a_i / b_j, and may not contain the ratio of
// medians. Ties (a timer's resolution) are treated as the no-ties ranks are; the interval stays closed.
// Rejected: the percentile bootstrap (it under-covers at the n isobench runs: for one median at
// n = 3 it returns [min, max], which covers 75 %), Fieller (needs normal samples), and dividing two
// order-statistic median CIs at 97.5 % each (valid without the model, but needs n >= 7 on both
// sides, and is much wider).

import { InputError } from '../errors.js';
import { type GivenInterval, requireLevel, type TooFewForInterval, tooFewForInterval } from './interval.js';
import { countUDistribution, EXACT_LIMIT } from './mann-whitney.js';
import { normalQuantile, normalUpperTail } from './normal.js';
import { selectPairDifference } from './pair-differences.js';
import { requireSamples, sortAscending } from './samples.js';

/** A CI of numerator / denominator (unitless). */
export interface RatioInterval extends GivenInterval {
  method: 'hodges-lehmann-log';
  /** True when the ranks come from the exact Mann–Whitney distribution (both n < 50), false for the normal approximation. */
  exact: boolean;
}

/** No ratio CI on a log scale: a sample holds a value <= 0. */
export interface NotPositiveForRatio {
  state: 'not-positive';
  method: 'hodges-lehmann-log';
  level: number;
  /** "no ratio CI on a log scale": what a report prints instead of an interval. */
  reason: string;
  /** Which side holds which value. */
  detail: string;
}

export type RatioCi = RatioInterval | (TooFewForInterval & { method: 'hodges-lehmann-log' }) | NotPositiveForRatio;

/** Which order statistics of the m*n differences bound the interval, and their coverage. */
export interface ShiftCiRanks {
  /** The interval is [d_(k), d_(m n + 1 - k)] of the sorted differences; 1-based, >= 1. */
  k: number;
  /** 1 - 2 P(U <= k - 1) under the null: exact, or from the normal approximation when `exact` is false. */
  coverage: number;
  exact: boolean;
}

const RELATIVE_SLACK = 1e-12;
const ranksCache = new Map<string, ShiftCiRanks | null>();

/**
 * The ranks of the Mann–Whitney shift interval for samples of sizes m and n: the largest k with
 * P(U <= k - 1) <= (1 - level) / 2 under the null (no shift, no ties). Exact when both sizes are
 * below EXACT_LIMIT (as for mannWhitneyU), else from the normal approximation of U with a
 * continuity correction. Results are cached per (m, n, level).
 * @param m - a positive integer; likewise `n`.
 * @param level - in (0, 1).
 * @returns null when the test cannot reach the level: 2 / C(m + n, m) > 1 - level (e.g. m = n = 3,
 *   or m = 3 with n = 4, at 95 %).
 */
export function chooseShiftCiRanks(m: number, n: number, level: number): ShiftCiRanks | null {
  requireLevel(level);
  for (const size of [m, n]) {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new InputError(`expected sample sizes to be positive integers, got ${m} and ${n}`);
    }
  }
  const key = `${m},${n},${level}`;
  if (!ranksCache.has(key)) ranksCache.set(key, computeShiftCiRanks(m, n, level));
  return ranksCache.get(key)!;
}

function computeShiftCiRanks(m: number, n: number, level: number): ShiftCiRanks | null {
  const tail = ((1 - level) / 2) * (1 + RELATIVE_SLACK);
  if (m < EXACT_LIMIT && n < EXACT_LIMIT) {
    const counts = countUDistribution(m, n);
    const total = counts.reduce((sum, c) => sum + c, 0);
    let below = 0; // P(U <= k - 1) of the accepted k
    let k = 0;
    while (k < counts.length && below + counts[k]! / total <= tail) {
      below += counts[k]! / total;
      k++;
    }
    return k === 0 ? null : { k, coverage: 1 - 2 * below, exact: true };
  }
  const mean = (m * n) / 2;
  const sd = Math.sqrt((m * n * (m + n + 1)) / 12);
  // P(U <= k - 1) ~ Phi((k - 1/2 - mean) / sd) <= tail.
  const k = Math.floor(mean + 0.5 + normalQuantile(tail) * sd);
  if (k < 1) return null;
  return { k, coverage: 1 - 2 * normalUpperTail((mean + 0.5 - k) / sd), exact: false };
}

function findNonPositive(samples: readonly number[]): number {
  return samples.findIndex((x) => !(x > 0));
}

/**
 * CI of the ratio of locations numerator / denominator of two independent samples (module header:
 * the method, its scale-shift assumption, and why). Unitless. The exact coverage it achieves for
 * these sizes is in `coverage`.
 * @param numerator - non-empty, finite samples (InputError otherwise), e.g. a container's times.
 * @param denominator - likewise, e.g. native's times in the same unit.
 * @param level - in (0, 1); default 0.95.
 * @returns the interval; or 'n-too-small' when the exact test cannot reach the level (m = n = 3 at
 *   95 %; 4 and 4, or 3 and 5, suffice); or 'not-positive' when a value is <= 0 (no log).
 */
export function computeRatioCi(numerator: readonly number[], denominator: readonly number[], level = 0.95): RatioCi {
  requireSamples(numerator, 'numerator samples');
  requireSamples(denominator, 'denominator samples');
  requireLevel(level);
  const method = 'hodges-lehmann-log' as const;
  for (const [side, samples] of [
    ['numerator', numerator],
    ['denominator', denominator],
  ] as const) {
    const at = findNonPositive(samples);
    if (at >= 0) {
      const detail = `the ${side} holds ${samples[at]} at index ${at}; every value must be > 0`;
      return { state: 'not-positive', method, level, reason: 'no ratio CI on a log scale', detail };
    }
  }
  const m = numerator.length;
  const n = denominator.length;
  const ranks = chooseShiftCiRanks(m, n, level);
  if (!ranks) {
    const smallestP = 2 / Number(binomialCoefficient(m + n, m));
    const detail = `the exact Mann–Whitney test of ${m} against ${n} samples cannot reach ${Number(((1 - level) * 100).toFixed(2))} % (smallest two-sided p = ${smallestP.toPrecision(2)})`;
    return { ...tooFewForInterval(level, detail), method };
  }
  const sortedA = sortAscending(numerator);
  const sortedB = sortAscending(denominator);
  const xs = Float64Array.from(sortedA, Math.log);
  const ys = Float64Array.from(sortedB, Math.log);
  // The ends are ratios of two samples, a_i / b_j, computed directly rather than through exp(log).
  const ratioAt = (rank: number) => {
    const pair = selectPairDifference(xs, ys, rank);
    return sortedA[pair.i]! / sortedB[pair.j]!;
  };
  return {
    state: 'interval',
    method,
    exact: ranks.exact,
    level,
    coverage: ranks.coverage,
    low: ratioAt(ranks.k),
    high: ratioAt(m * n + 1 - ranks.k),
  };
}

/** C(n, k) exactly, as a bigint (only asked for sizes where the test cannot reach the level, so small). */
function binomialCoefficient(n: number, k: number): bigint {
  let result = 1n;
  for (let i = 1; i <= k; i++) result = (result * BigInt(n - k + i)) / BigInt(i);
  return result;
}
