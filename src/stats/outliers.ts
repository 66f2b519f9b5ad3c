// Outliers by the MAD-based modified z-score (Iglewicz & Hoaglin), and only where a MAD means
// something. Simulated on normal data (200 000 sets each), the share of sets with at least one
// flagged sample is 29 % at n = 3 and 15 % at n = 9, so no rule is applied below n = 10; it is
// still 12 % at n = 10 and 9 % at n = 30 (1.7 % and 0.4 % of samples), which is why outliers are
// reported and never removed.

import { median } from './quantile.js';
import { requireSamples } from './samples.js';

/** Modified z-score above which a sample is an outlier (Iglewicz & Hoaglin's recommendation). */
export const OUTLIER_Z_LIMIT = 3.5;

/** Fewest samples the outlier rule is applied to. */
export const OUTLIER_MIN_N = 10;

/** Scales a MAD to a normal sd: MAD / 0.6745 estimates sigma, so z = 0.6745 * |x - median| / MAD. */
const MODIFIED_Z_FACTOR = 0.6745;

/** Outliers flagged by the modified z-score rule (n >= OUTLIER_MIN_N); reported, never removed. */
export interface OutliersFlagged {
  rule: 'modified-z';
  /** The cut-off: OUTLIER_Z_LIMIT. */
  zLimit: number;
  /** Ascending indices (into the input) of samples with 0.6745 * |x - median| / MAD > zLimit; none when MAD = 0. */
  indices: number[];
}

/** No rule applied: too few samples for a MAD to tell an outlier from noise. */
export interface OutliersNotChecked {
  rule: 'none';
  /** OUTLIER_MIN_N: the n from which the rule applies. */
  minN: number;
  /** "not checked below n = 10". */
  reason: string;
}

export type OutlierCheck = OutliersFlagged | OutliersNotChecked;

/**
 * Indices of samples with a modified z-score 0.6745 * |x - median| / mad above OUTLIER_Z_LIMIT,
 * whatever n (the caller decides whether the rule applies; see checkOutliers). A mad of 0 (over
 * half the samples equal) flags nothing: the score would be infinite.
 * @param sampleMedian - the median of `samples`, in their unit; `mad` the raw median absolute deviation.
 */
export function findOutliers(samples: readonly number[], sampleMedian: number, mad: number): number[] {
  if (mad === 0) return [];
  const flagged: number[] = [];
  samples.forEach((x, i) => {
    if ((MODIFIED_Z_FACTOR * Math.abs(x - sampleMedian)) / mad > OUTLIER_Z_LIMIT) flagged.push(i);
  });
  return flagged;
}

/**
 * The outlier rule of a summary: below OUTLIER_MIN_N samples none (state 'none', with the reason);
 * from it on, the modified z-score with cut-off OUTLIER_Z_LIMIT.
 * @param samples - non-empty, finite (InputError otherwise).
 */
export function checkOutliers(samples: readonly number[]): OutlierCheck {
  requireSamples(samples);
  if (samples.length < OUTLIER_MIN_N) {
    return { rule: 'none', minN: OUTLIER_MIN_N, reason: `not checked below n = ${OUTLIER_MIN_N}` };
  }
  const mid = median(samples);
  const mad = median(samples.map((x) => Math.abs(x - mid)));
  return { rule: 'modified-z', zLimit: OUTLIER_Z_LIMIT, indices: findOutliers(samples, mid, mad) };
}
