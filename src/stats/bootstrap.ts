// Percentile bootstrap confidence intervals: of one statistic, and of a ratio of two samples' statistics.

import { InputError } from '../errors.js';
import { quantileSorted } from './quantile.js';
import { createRandom, DEFAULT_SEED, type Random } from './random.js';
import { requireSamples, sortAscending } from './samples.js';

/** A two-sided confidence interval; `low` and `high` are in the unit of the statistic. */
export interface ConfidenceInterval {
  /** Confidence level in (0, 1), e.g. 0.95. */
  level: number;
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** Confidence level in (0, 1); default 0.95. */
  level?: number;
  /** Number of resamples, a positive integer; default 2000. */
  resamples?: number;
  /** PRNG seed (safe integer); default DEFAULT_SEED, so results are reproducible. */
  seed?: number;
}

/**
 * A statistic of one resample. It may read `xs` during the call only: the array is reused.
 * It must return a finite number.
 */
export type Statistic = (xs: readonly number[]) => number;

interface CheckedOptions {
  level: number;
  resamples: number;
  random: Random;
}

function checkOptions(options: BootstrapOptions): CheckedOptions {
  const { level = 0.95, resamples = 2000, seed = DEFAULT_SEED } = options;
  if (!(level > 0 && level < 1)) {
    throw new InputError(`expected the confidence level to be in (0, 1), got ${level}`, { hint: 'e.g. 0.95' });
  }
  if (!Number.isSafeInteger(resamples) || resamples < 1) {
    throw new InputError(`expected resamples to be a positive integer, got ${resamples}`, { hint: 'e.g. 2000' });
  }
  return { level, resamples, random: createRandom(seed) };
}

/** Fills `into` with a resample (with replacement) of `samples`. */
function drawResample(samples: readonly number[], into: number[], random: Random): number[] {
  for (let i = 0; i < samples.length; i++) into[i] = samples[random.nextIndex(samples.length)]!;
  return into;
}

/** The percentile interval of `estimates`: the (1 - level)/2 and (1 + level)/2 quantiles (type 7). */
function toInterval(estimates: readonly number[], level: number): ConfidenceInterval {
  const sorted = sortAscending(estimates);
  return { level, low: quantileSorted(sorted, (1 - level) / 2), high: quantileSorted(sorted, (1 + level) / 2) };
}

/**
 * Percentile bootstrap CI of `statistic` over `samples`: resamples with replacement, computes the
 * statistic on each, and takes the central `level` of those estimates. Same samples, statistic and
 * seed give the same interval.
 * @param samples - non-empty, finite (InputError otherwise).
 */
export function bootstrapCi(
  samples: readonly number[],
  statistic: Statistic,
  options: BootstrapOptions = {},
): ConfidenceInterval {
  requireSamples(samples);
  const { level, resamples, random } = checkOptions(options);
  const buffer = new Array<number>(samples.length);
  const estimates = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) estimates[r] = statistic(drawResample(samples, buffer, random));
  return toInterval(estimates, level);
}

/**
 * Percentile bootstrap CI of statistic(a) / statistic(b), resampling `a` and `b` independently
 * (they are separate runs, e.g. container over native). Unitless.
 * @param a - numerator samples, non-empty and finite.
 * @param b - denominator samples, non-empty and finite; the statistic of every resample of `b`
 *   must be non-zero (true for the median of positive values), else InputError.
 */
export function bootstrapRatioCi(
  a: readonly number[],
  b: readonly number[],
  statistic: Statistic,
  options: BootstrapOptions = {},
): ConfidenceInterval {
  requireSamples(a, 'numerator samples');
  requireSamples(b, 'denominator samples');
  const { level, resamples, random } = checkOptions(options);
  const bufferA = new Array<number>(a.length);
  const bufferB = new Array<number>(b.length);
  const ratios = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    const numerator = statistic(drawResample(a, bufferA, random));
    const denominator = statistic(drawResample(b, bufferB, random));
    const ratio = numerator / denominator;
    if (!Number.isFinite(ratio)) {
      throw new InputError(
        `expected a finite ratio in every resample, got ${numerator} / ${denominator} in resample ${r}`,
        { hint: 'a ratio needs a denominator statistic that is never 0, e.g. the median of positive values' },
      );
    }
    ratios[r] = ratio;
  }
  return toInterval(ratios, level);
}
