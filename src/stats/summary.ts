// One summary per metric: location, spread, a bootstrap CI of the median, and MAD outliers.

import { bootstrapCi, type ConfidenceInterval } from './bootstrap.js';
import { median, quantileSorted } from './quantile.js';
import { requireSamples, sortAscending } from './samples.js';

/** Modified z-score above which a sample is an outlier (Iglewicz & Hoaglin). */
export const OUTLIER_Z_LIMIT = 3.5;

/** Scales a MAD to the sd of a normal distribution's 0.75 quantile: z = 0.6745 * |x - median| / MAD. */
const MODIFIED_Z_FACTOR = 0.6745;

/**
 * Statistics of one metric. Every field but `n`, `ci.level` and `outliers` is in the samples' unit
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
  /** Percentile bootstrap CI of the median. */
  ci: ConfidenceInterval;
  /**
   * Ascending indices (into the input) of samples whose modified z-score
   * 0.6745 * |x - median| / mad exceeds 3.5; none when mad is 0.
   */
  outliers: number[];
}

export interface SummaryOptions {
  /** Level of the median's CI, in (0, 1); default 0.95. */
  confidence?: number;
  /** Bootstrap resamples, a positive integer; default 2000. */
  resamples?: number;
  /** PRNG seed for the bootstrap; default DEFAULT_SEED (same samples, same CI). */
  seed?: number;
}

/**
 * Summarizes samples of one metric.
 * @param samples - non-empty, all finite; InputError otherwise. Outliers are reported, not removed.
 */
export function summarize(samples: readonly number[], options: SummaryOptions = {}): Summary {
  requireSamples(samples);
  const sorted = sortAscending(samples);
  const n = sorted.length;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / n;
  const squares = sorted.reduce((sum, x) => sum + (x - mean) ** 2, 0);
  const mid = quantileSorted(sorted, 0.5);
  const mad = median(samples.map((x) => Math.abs(x - mid)));
  return {
    n,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mean,
    median: mid,
    p95: quantileSorted(sorted, 0.95),
    stddev: n > 1 ? Math.sqrt(squares / (n - 1)) : 0,
    mad,
    ci: bootstrapCi(samples, median, {
      level: options.confidence ?? 0.95,
      resamples: options.resamples ?? 2000,
      seed: options.seed,
    }),
    outliers: findOutliers(samples, mid, mad),
  };
}

/**
 * Indices of samples with a modified z-score 0.6745 * |x - median| / mad above OUTLIER_Z_LIMIT.
 * A mad of 0 (over half the samples equal) flags nothing: the score would be infinite.
 */
export function findOutliers(samples: readonly number[], sampleMedian: number, mad: number): number[] {
  if (mad === 0) return [];
  const flagged: number[] = [];
  samples.forEach((x, i) => {
    if ((MODIFIED_Z_FACTOR * Math.abs(x - sampleMedian)) / mad > OUTLIER_Z_LIMIT) flagged.push(i);
  });
  return flagged;
}
