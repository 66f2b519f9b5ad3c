// One summary per metric: location, spread, the order-statistics CI of the median (or why there is
// none), and the outlier check (or why there is none).

import { computeMedianCi, type MedianCi } from './median-ci.js';
import { checkOutliers, type OutlierCheck } from './outliers.js';
import { median, quantileSorted } from './quantile.js';
import { requireSamples, sortAscending } from './samples.js';

/**
 * Statistics of one metric. `min` to `mad`, and `ci.low`/`ci.high`, are in the samples' unit
 * (e.g. ns or bytes).
 */
export interface Summary {
  /** Number of samples. */
  n: number;
  min: number;
  max: number;
  mean: number;
  /** Type-7 median (see quantileSorted). */
  median: number;
  /** Type-7 95th percentile. */
  p95: number;
  /** Sample standard deviation (divisor n - 1); 0 when n = 1. */
  stddev: number;
  /** Raw median absolute deviation, median(|x - median|), not scaled to a normal sd. */
  mad: number;
  /** Order-statistics CI of the median with its exact coverage; state 'n-too-small' below n = 6 at 95 %. */
  ci: MedianCi;
  /** Modified z-score outliers at n >= 10; rule 'none' below, with the reason. */
  outliers: OutlierCheck;
}

export interface SummaryOptions {
  /** Level of the median's CI, in (0, 1); default 0.95. */
  confidence?: number;
}

/**
 * Summarizes samples of one metric. Deterministic: no resampling, the same samples give the same summary.
 * @param samples - non-empty, all finite; InputError otherwise. Outliers are reported, not removed.
 */
export function summarize(samples: readonly number[], options: SummaryOptions = {}): Summary {
  requireSamples(samples);
  const sorted = sortAscending(samples);
  const n = sorted.length;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / n;
  const squares = sorted.reduce((sum, x) => sum + (x - mean) ** 2, 0);
  const mid = quantileSorted(sorted, 0.5);
  return {
    n,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mean,
    median: mid,
    p95: quantileSorted(sorted, 0.95),
    stddev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    mad: median(samples.map((x) => Math.abs(x - mid))),
    ci: computeMedianCi(samples, options.confidence ?? 0.95),
    outliers: checkOutliers(samples),
  };
}
