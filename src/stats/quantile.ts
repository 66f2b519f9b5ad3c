// Quantiles by linear interpolation between closest ranks (Hyndman & Fan type 7, R's default).

import { InputError } from '../errors.js';
import { type Samples, sortAscending } from './samples.js';

/**
 * The p-quantile of ascending `sorted` by type 7: with h = (n - 1) * p, the value at rank floor(h)
 * plus (h - floor(h)) times the step to the next rank. p = 0.5 is the median, p = 0.95 the p95;
 * e.g. for 1..10 the p95 is 9 + 0.55 * (10 - 9) = 9.55. Same unit as the samples.
 * @param sorted - non-empty, ascending, finite (not checked here: callers validate once).
 * @param p - in [0, 1].
 */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 1)) {
    throw new InputError(`expected a quantile probability in [0, 1], got ${p}`);
  }
  if (sorted.length === 0) {
    throw new InputError('expected at least one sample for a quantile, got an empty array');
  }
  const h = (sorted.length - 1) * p;
  const lower = Math.floor(h);
  const below = sorted[lower]!;
  // At p = 1 (or an exact rank) there is no next rank to interpolate toward.
  if (lower + 1 >= sorted.length) return below;
  return below + (h - lower) * (sorted[lower + 1]! - below);
}

/** The p-quantile (type 7) of unsorted samples; see quantileSorted. */
export function quantile(samples: Samples, p: number): number {
  return quantileSorted(sortAscending(samples), p);
}

/** The median (type 7: the mean of the two middle values for even n), same unit as the samples. */
export function median(samples: readonly number[]): number {
  return quantileSorted(sortAscending(samples), 0.5);
}
