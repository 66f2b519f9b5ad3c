// Confidence interval of a median from order statistics: distribution-free, with exact binomial
// coverage, so its 95 % is 95 % whatever the distribution (continuous) and whatever n.

import { type GivenInterval, requireLevel, type TooFewForInterval, tooFewForInterval } from './interval.js';
import { requireSamples, sortAscending } from './samples.js';

/** The order-statistics interval [x_(lowRank), x_(highRank)] of a median. */
export interface OrderStatisticInterval extends GivenInterval {
  method: 'order-statistics';
  /** 1-based rank of `low` among the sorted samples. */
  lowRank: number;
  /** 1-based rank of `high`: n + 1 - lowRank, or n - lowRank (see chooseMedianCiRanks). */
  highRank: number;
}

/** The median's CI when n allows one, else why not (with the smallest n that would). */
export type MedianCi = OrderStatisticInterval | (TooFewForInterval & { method: 'order-statistics'; minN: number });

/** The ranks of the interval and their exact coverage; null when no rank pair reaches the level. */
export interface MedianCiRanks {
  /** 1-based. */
  lowRank: number;
  /** 1-based, n + 1 - lowRank or n - lowRank. */
  highRank: number;
  /** P(lowRank <= B <= highRank - 1) with B ~ Binomial(n, 1/2): exact. */
  coverage: number;
}

// Slack for rounding in the binomial sums: the tail is compared with (1 - level) / 2 relatively.
const RELATIVE_SLACK = 1e-12;

/**
 * The narrowest rank pair (l, u) whose interval [x_(l), x_(u)] covers the median with probability
 * >= `level`. The number B of samples below the true median of a continuous distribution is
 * Binomial(n, 1/2) whatever the distribution, so [x_(l), x_(u)] covers it exactly when
 * l <= B <= u - 1: coverage = P(l <= B <= u - 1), an exact figure, not an approximation.
 *
 * Rule: take the largest symmetric pair (l, n + 1 - l) that reaches the level; then, if the pair one
 * rank narrower, (l, n - l), still reaches it, take that (at n = 8: [x_(1), x_(7)] covers 96.1 %,
 * where the symmetric [x_(1), x_(8)] covers 99.2 %). No narrower pair can reach the level: at each
 * width the central pair covers most. The one-rank asymmetry is always spent on the high side
 * (one more high value left out), a fixed choice that keeps the coverage exact (choosing by the
 * data would not) and keeps a cost's slow tail, where interference lands, out of the interval.
 * @param n - number of samples, a positive integer.
 * @param level - in (0, 1).
 * @returns null when even (1, n) covers less than `level`, i.e. 1 - 2^(1-n) < level (n < 6 at 95 %).
 */
export function chooseMedianCiRanks(n: number, level: number): MedianCiRanks | null {
  requireLevel(level);
  const miss = (1 - level) * (1 + RELATIVE_SLACK);
  // P(B = k) in log space, so 2^-n does not underflow for n > 1074.
  let logPmf = -n * Math.LN2;
  let below = 0; // P(B <= l - 1) of the pair (l, n + 1 - l) accepted so far
  let lowRank = 0;
  for (let k = 0; k < n; k++) {
    const next = below + Math.exp(logPmf); // P(B <= k): the lower tail of the pair (k + 1, n - k)
    if (2 * next > miss) break;
    below = next;
    lowRank = k + 1;
    logPmf += Math.log((n - k) / (k + 1));
  }
  if (lowRank === 0) return null;
  // logPmf is now log P(B = lowRank): (l, n - l) also misses B = n - l, as likely as B = l.
  const narrower = 2 * below + Math.exp(logPmf);
  if (narrower <= miss && lowRank < n - lowRank) {
    return { lowRank, highRank: n - lowRank, coverage: 1 - narrower };
  }
  return { lowRank, highRank: n + 1 - lowRank, coverage: 1 - 2 * below };
}

/** Smallest n for which chooseMedianCiRanks(n, level) gives an interval (6 at 0.95). */
export function findMedianCiMinN(level: number): number {
  requireLevel(level);
  // (1, n) covers 1 - 2^(1-n); find the first n where that reaches the level.
  let n = 1;
  while (2 * 0.5 ** n > (1 - level) * (1 + RELATIVE_SLACK)) n++;
  return n;
}

/**
 * Distribution-free CI of the median of `samples`: [x_(l), x_(u)] with the ranks of
 * chooseMedianCiRanks. Needs only independent samples from one continuous distribution; with ties
 * (a timer's resolution) the closed interval covers at least as often. Same unit as the samples.
 * @param samples - non-empty, finite (InputError otherwise).
 * @param level - in (0, 1); default 0.95.
 * @returns the interval, or state 'n-too-small' (n < 6 at 95 %) with the smallest n that has one.
 */
export function computeMedianCi(samples: readonly number[], level = 0.95): MedianCi {
  requireSamples(samples);
  const n = samples.length;
  const ranks = chooseMedianCiRanks(n, level);
  if (!ranks) {
    const minN = findMedianCiMinN(level);
    return {
      ...tooFewForInterval(level, `n = ${n}; an order-statistics interval of the median needs n >= ${minN}`),
      method: 'order-statistics',
      minN,
    };
  }
  const sorted = sortAscending(samples);
  return {
    state: 'interval',
    method: 'order-statistics',
    level,
    coverage: ranks.coverage,
    low: sorted[ranks.lowRank - 1]!,
    high: sorted[ranks.highRank - 1]!,
    lowRank: ranks.lowRank,
    highRank: ranks.highRank,
  };
}
