// Two-sided Mann–Whitney U (Wilcoxon rank-sum) test: does one sample tend to be larger than the other?

import { normalUpperTail } from './normal.js';
import { requireSamples } from './samples.js';

/** Exact p-values are used when both samples are smaller than this and hold no ties, as R does. */
export const EXACT_LIMIT = 50;

export interface MannWhitneyResult {
  /**
   * U of the first sample: the number of pairs (a_i, b_j) with a_i > b_j, ties counting 1/2.
   * Ranges over [0, n_a * n_b]; R's wilcox.test(a, b) calls it W.
   */
  u: number;
  /**
   * Normal-approximation z with tie correction and continuity correction; positive when `a` tends
   * to be larger. 0 when every value is equal.
   */
  z: number;
  /** Two-sided p-value in [0, 1]. */
  pValue: number;
  /** 'exact': from the exact null distribution of U; 'normal': from z. */
  method: 'exact' | 'normal';
}

/**
 * Two-sided Mann–Whitney U test of `a` against `b` (independent samples). Without ties and with both
 * n < 50 the p-value is exact (R's wilcox.test default); otherwise it comes from the normal
 * approximation with the tie-corrected variance
 *   n_a n_b / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1)))
 * (t = size of each tie group, N = n_a + n_b) and a continuity correction of 1/2 toward the mean.
 * @param a - non-empty, finite (InputError otherwise); likewise `b`.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  requireSamples(a, 'first samples');
  requireSamples(b, 'second samples');
  const nA = a.length;
  const nB = b.length;
  const { ranks, tieTerm } = rankWithTies([...a, ...b]);
  let rankSumA = 0;
  for (let i = 0; i < nA; i++) rankSumA += ranks[i]!;
  const u = rankSumA - (nA * (nA + 1)) / 2;

  const total = nA + nB;
  const mean = (nA * nB) / 2;
  const variance = ((nA * nB) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  const deviation = u - mean;
  const z = variance > 0 ? (deviation - Math.sign(deviation) * 0.5) / Math.sqrt(variance) : 0;

  if (tieTerm === 0 && nA < EXACT_LIMIT && nB < EXACT_LIMIT) {
    return { u, z, pValue: computeExactPValue(u, nA, nB), method: 'exact' };
  }
  // All values equal: no evidence of any difference.
  const pValue = variance > 0 ? Math.min(1, 2 * normalUpperTail(Math.abs(z))) : 1;
  return { u, z, pValue, method: 'normal' };
}

/** Average ranks (1-based) of `values`, and sum(t^3 - t) over tie groups. */
function rankWithTies(values: readonly number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((_, i) => i).sort((i, j) => values[i]! - values[j]!);
  const ranks = new Array<number>(values.length);
  let tieTerm = 0;
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    // Positions start..end-1 share ranks start+1..end; each gets their mean.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = averageRank;
    const t = end - start;
    tieTerm += t ** 3 - t;
    start = end;
  }
  return { ranks, tieTerm };
}

/**
 * Counts of each U in 0..m*n over all C(m+n, m) orderings without ties. Taking the largest value:
 * if it is from the first sample it beats all n of the second, else it beats none, so
 * c(m, n, k) = c(m - 1, n, k - n) + c(m, n - 1, k). Costs about (m n)^2 / 4 additions.
 * @param m - size of the first sample, a positive integer; likewise `n`.
 */
export function countUDistribution(m: number, n: number): number[] {
  // previous[j] = counts for (i - 1, j); current[j] = counts for (i, j).
  let previous: number[][] = Array.from({ length: n + 1 }, () => [1]);
  for (let i = 1; i <= m; i++) {
    const current: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const counts = new Array<number>(i * j + 1).fill(0);
      const fromFirst = previous[j]!;
      for (let k = 0; k < fromFirst.length; k++) counts[k + j]! += fromFirst[k]!;
      const fromSecond = current[j - 1]!;
      for (let k = 0; k < fromSecond.length; k++) counts[k]! += fromSecond[k]!;
      current.push(counts);
    }
    previous = current;
  }
  return previous[n]!;
}

/** Two-sided exact p-value as R computes it: twice the smaller tail at u, capped at 1. */
function computeExactPValue(u: number, m: number, n: number): number {
  const counts = countUDistribution(m, n);
  const total = counts.reduce((sum, c) => sum + c, 0);
  let tail = 0;
  if (u > (m * n) / 2) {
    for (let k = u; k < counts.length; k++) tail += counts[k]!; // P(U >= u)
  } else {
    for (let k = 0; k <= u; k++) tail += counts[k]!; // P(U <= u)
  }
  return Math.min(1, (2 * tail) / total);
}
