// Baseline vs candidate: is the candidate's median a real, relevant change, and in which direction?

import { InputError } from '../errors.js';
import type { ConfidenceInterval } from './interval.js';
import { mannWhitneyU } from './mann-whitney.js';
import { median } from './quantile.js';
import { computeRatioCi } from './ratio-ci.js';
import { requireSamples } from './samples.js';

/** Below this many samples on either side, compareSamples says 'inconclusive'. */
export const MIN_COMPARE_SAMPLES = 5;

export type Verdict = 'regression' | 'improvement' | 'unchanged' | 'inconclusive';

export interface CompareOptions {
  /** Smallest relative change of the median that matters, >= 0; default 0.05 (5 %). */
  thresholdRatio?: number;
  /** Significance level of the test, in (0, 1); the change CI is at level 1 - alpha. Default 0.05. */
  alpha?: number;
  /** True for costs (time, bytes): a larger candidate is worse. Default true. */
  higherIsWorse?: boolean;
}

/**
 * The options with their defaults, checked. Shared by compareSamples and compareWithHistory.
 * @throws InputError naming the option and an example value.
 */
export function checkCompareOptions(options: CompareOptions): Required<CompareOptions> {
  const { thresholdRatio = 0.05, alpha = 0.05, higherIsWorse = true } = options;
  if (!(thresholdRatio >= 0 && Number.isFinite(thresholdRatio))) {
    throw new InputError(`expected thresholdRatio to be a finite number >= 0, got ${thresholdRatio}`, {
      hint: 'e.g. 0.05 for 5 %',
    });
  }
  if (!(alpha > 0 && alpha < 1)) {
    throw new InputError(`expected alpha to be in (0, 1), got ${alpha}`, { hint: 'e.g. 0.05' });
  }
  return { thresholdRatio, alpha, higherIsWorse };
}

export interface Comparison {
  /** In the samples' unit. */
  baselineMedian: number;
  /** In the samples' unit. */
  candidateMedian: number;
  /** candidateMedian / baselineMedian - 1 (0.2 = 20 % larger); null when the baseline has values <= 0. */
  change: number | null;
  /**
   * CI (level 1 - alpha) of candidate / baseline minus 1, by computeRatioCi (Hodges–Lehmann on log
   * values, scale-shift model); null like `change`, or when a candidate value is <= 0.
   */
  changeCi: ConfidenceInterval | null;
  /** Two-sided Mann–Whitney p-value. */
  pValue: number;
  verdict: Verdict;
  /** One sentence saying why, with the figures behind the verdict. */
  reason: string;
}

/**
 * Compares candidate samples with baseline samples of one metric (independent runs), by this rule:
 * - fewer than 5 samples on a side -> 'inconclusive';
 * - a baseline value <= 0 -> 'inconclusive' (a relative change is undefined), unless both sides are
 *   one same constant -> 'unchanged';
 * - a candidate value <= 0 -> 'inconclusive' (no ratio CI on a log scale);
 * - significant means p < alpha (Mann–Whitney, two-sided) AND the change CI excludes 0;
 * - significant and |change| > thresholdRatio -> 'regression' in the worse direction (up when
 *   higherIsWorse), else 'improvement';
 * - significant but |change| <= thresholdRatio -> 'unchanged' (real but too small to matter);
 * - not significant and the CI lies within [-thresholdRatio, +thresholdRatio] -> 'unchanged';
 * - not significant and the CI reaches beyond the threshold -> 'inconclusive' (more samples needed).
 * @param baseline - non-empty, finite (InputError otherwise); likewise `candidate`.
 */
export function compareSamples(
  baseline: readonly number[],
  candidate: readonly number[],
  options: CompareOptions = {},
): Comparison {
  requireSamples(baseline, 'baseline samples');
  requireSamples(candidate, 'candidate samples');
  const { thresholdRatio, alpha, higherIsWorse } = checkCompareOptions(options);
  const baselineMedian = median(baseline);
  const candidateMedian = median(candidate);
  const { pValue } = mannWhitneyU(candidate, baseline);
  const base = { baselineMedian, candidateMedian, pValue };
  const tooFew = Math.min(baseline.length, candidate.length) < MIN_COMPARE_SAMPLES;

  if (baseline.some((x) => x <= 0)) {
    const constant = isConstant(baseline) && isConstant(candidate) && baselineMedian === candidateMedian;
    if (constant && !tooFew) {
      return {
        ...base,
        change: 0,
        changeCi: { level: 1 - alpha, low: 0, high: 0 },
        verdict: 'unchanged',
        reason: `every sample equals ${baselineMedian}`,
      };
    }
    const reason = tooFew
      ? describeTooFew(baseline.length, candidate.length)
      : 'the baseline has values <= 0, so a relative change is undefined';
    return { ...base, change: null, changeCi: null, verdict: 'inconclusive', reason };
  }

  const change = candidateMedian / baselineMedian - 1;
  if (tooFew) {
    return {
      ...base,
      change,
      changeCi: null,
      verdict: 'inconclusive',
      reason: describeTooFew(baseline.length, candidate.length),
    };
  }
  const ratioCi = computeRatioCi(candidate, baseline, 1 - alpha);
  if (ratioCi.state !== 'interval') {
    return { ...base, change, changeCi: null, verdict: 'inconclusive', reason: `${ratioCi.reason}: ${ratioCi.detail}` };
  }
  const changeCi = { level: ratioCi.level, low: ratioCi.low - 1, high: ratioCi.high - 1 };
  const result = { ...base, change, changeCi };
  const figures = `median ${formatPercent(change)} (${formatLevel(changeCi.level)} CI ${formatPercent(changeCi.low)} to ${formatPercent(changeCi.high)}), p = ${formatP(pValue)}`;
  const threshold = formatPercent(thresholdRatio).slice(1);

  const ciExcludesZero = changeCi.low > 0 || changeCi.high < 0;
  if (pValue < alpha && ciExcludesZero) {
    if (Math.abs(change) > thresholdRatio) {
      const worse = higherIsWorse ? change > 0 : change < 0;
      return {
        ...result,
        verdict: worse ? 'regression' : 'improvement',
        reason: `${figures} < ${alpha}: a significant change beyond the ${threshold} threshold`,
      };
    }
    return {
      ...result,
      verdict: 'unchanged',
      reason: `${figures} < ${alpha}: significant but within the ${threshold} threshold`,
    };
  }
  const why = pValue < alpha ? 'the CI includes 0' : `p >= ${alpha}`;
  if (changeCi.low >= -thresholdRatio && changeCi.high <= thresholdRatio) {
    return {
      ...result,
      verdict: 'unchanged',
      reason: `${figures}: not significant (${why}) and the CI lies within the ${threshold} threshold`,
    };
  }
  return {
    ...result,
    verdict: 'inconclusive',
    reason: `${figures}: not significant (${why}), but the CI reaches beyond the ${threshold} threshold; take more samples`,
  };
}

function isConstant(samples: readonly number[]): boolean {
  return samples.every((x) => x === samples[0]);
}

function describeTooFew(baselineCount: number, candidateCount: number): string {
  return `too few samples (baseline ${baselineCount}, candidate ${candidateCount}); need at least ${MIN_COMPARE_SAMPLES} on each side`;
}

function formatPercent(ratio: number): string {
  const sign = ratio < 0 ? '-' : '+';
  return `${sign}${Math.abs(ratio * 100).toFixed(1)}%`;
}

function formatLevel(level: number): string {
  return `${Number((level * 100).toFixed(2))}%`;
}

function formatP(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toPrecision(2);
}
