// A candidate run against K earlier runs of the same metric, each run one unit (its median): is the
// candidate's median outside what run-to-run variation produces, and by more than the threshold?
//
// Why runs and not pooled samples: samples of one run share that run's conditions (host load, page
// cache, thermal state, the build), so pooling K runs' samples as if independent makes the baseline
// look far more precise than a new run can be, and flags ordinary run-to-run variation.
//
// Rule: a prediction interval for the median of one new run, from the K baseline run medians on a
// log scale: mean(log m) +/- t(1 - alpha/2, K - 1) * sd(log m) * sqrt(1 + 1/K). It assumes the log
// run medians are independent and normal with one mean and sd (runs of the same definition, host
// and code, with n iterations each). A median of n samples is close to normal by the central limit
// theorem even when the samples are not, and the log scale makes host-speed factors additive, so
// this is a much milder assumption than normal samples. Under it, a run without change falls
// above the interval with probability alpha/2 exactly.
//
// Minimum K = 5. The interval exists from K = 2, but then its t factor is 12.7 (K = 2) or 4.3
// (K = 3), so it flags nothing; and with under 4 degrees of freedom one unusual baseline run sets
// the sd alone. A distribution-free rank rule (candidate beyond all K runs) would need K >= 19 for
// a one-sided 5 % level, more history than most projects keep per metric.

import { InputError } from '../errors.js';
import { checkCompareOptions, type Verdict } from './compare.js';
import type { ConfidenceInterval } from './interval.js';
import { median } from './quantile.js';
import { requireSamples } from './samples.js';
import { studentTQuantile } from './student-t.js';

/** Below this many baseline runs, compareWithHistory says 'inconclusive'. */
export const MIN_HISTORY_RUNS = 5;

export interface HistoryCompareOptions {
  /** Smallest relative change of the median that matters, >= 0; default 0.05 (5 %). */
  thresholdRatio?: number;
  /** The prediction interval is at level 1 - alpha, in (0, 1); default 0.05. */
  alpha?: number;
  /** True for costs (time, bytes): a larger candidate is worse. Default true. */
  higherIsWorse?: boolean;
}

export interface HistoryComparison {
  /** K: the number of baseline runs. */
  baselineRuns: number;
  /** Median of each baseline run, in the samples' unit, in input order. */
  baselineRunMedians: number[];
  /** Median of the candidate run, in the samples' unit. */
  candidateMedian: number;
  /** Geometric mean of the baseline run medians (the centre on the log scale); null when not computed. */
  baselineCenter: number | null;
  /** candidateMedian / baselineCenter - 1 (0.2 = 20 % larger); null when not computed. */
  change: number | null;
  /**
   * Where the median of one more run without change falls with probability 1 - alpha, in the
   * samples' unit; null when not computed (too few runs, a median <= 0).
   */
  predictionInterval: ConfidenceInterval | null;
  verdict: Verdict;
  /** One sentence saying why, with the figures behind the verdict. */
  reason: string;
}

function formatPercent(ratio: number): string {
  return `${ratio < 0 ? '-' : '+'}${Math.abs(ratio * 100).toFixed(1)}%`;
}

/**
 * Judges a candidate run against K earlier runs of the same metric (module header: the rule, its
 * assumption and why K >= 5):
 * - K < MIN_HISTORY_RUNS -> 'inconclusive';
 * - every median equal -> 'unchanged'; else a median <= 0 -> 'inconclusive' (no log scale);
 * - candidate median outside the prediction interval and |change| > thresholdRatio -> 'regression'
 *   in the worse direction (up when higherIsWorse), else 'improvement';
 * - outside the interval but |change| <= thresholdRatio -> 'unchanged' (real but too small to matter);
 * - inside the interval, and the interval within +/- thresholdRatio of the centre -> 'unchanged';
 * - inside, but the interval reaches beyond the threshold -> 'inconclusive' (run-to-run variation
 *   is larger than the threshold, so a change of that size could hide in it).
 * @param baselineRuns - the samples of each earlier run (one array per run, each non-empty and
 *   finite; InputError otherwise), same metric, unit and definition as the candidate.
 * @param candidateRun - the candidate run's samples, non-empty and finite.
 */
export function compareWithHistory(
  baselineRuns: ReadonlyArray<readonly number[]>,
  candidateRun: readonly number[],
  options: HistoryCompareOptions = {},
): HistoryComparison {
  const { thresholdRatio, alpha, higherIsWorse } = checkCompareOptions(options);
  if (!Array.isArray(baselineRuns)) {
    throw new InputError(`expected baseline runs to be an array of sample arrays, got ${typeof baselineRuns}`);
  }
  baselineRuns.forEach((samples, i) => {
    requireSamples(samples, `samples of baseline run ${i}`);
  });
  requireSamples(candidateRun, 'candidate samples');
  const baselineRunMedians = baselineRuns.map((samples) => median(samples));
  const candidateMedian = median(candidateRun);
  const k = baselineRuns.length;
  const base = { baselineRuns: k, baselineRunMedians, candidateMedian };
  const none = { baselineCenter: null, change: null, predictionInterval: null };

  if (k < MIN_HISTORY_RUNS) {
    return {
      ...base,
      ...none,
      verdict: 'inconclusive',
      reason: `${k} earlier run${k === 1 ? '' : 's'}; a verdict needs at least ${MIN_HISTORY_RUNS}, each run counting once by its median`,
    };
  }
  if (baselineRunMedians.every((m) => m === candidateMedian)) {
    return {
      ...base,
      baselineCenter: candidateMedian,
      change: candidateMedian === 0 ? null : 0,
      predictionInterval: { level: 1 - alpha, low: candidateMedian, high: candidateMedian },
      verdict: 'unchanged',
      reason: `the candidate's median and all ${k} earlier run medians equal ${candidateMedian}`,
    };
  }
  if ([...baselineRunMedians, candidateMedian].some((m) => !(m > 0))) {
    return {
      ...base,
      ...none,
      verdict: 'inconclusive',
      reason: 'a run median is <= 0, so run-to-run variation cannot be judged on a log scale',
    };
  }

  const logs = baselineRunMedians.map(Math.log);
  const meanLog = logs.reduce((s, y) => s + y, 0) / k;
  const sdLog = Math.sqrt(logs.reduce((s, y) => s + (y - meanLog) ** 2, 0) / (k - 1));
  const halfWidth = studentTQuantile(1 - alpha / 2, k - 1) * sdLog * Math.sqrt(1 + 1 / k);
  const baselineCenter = Math.exp(meanLog);
  const change = candidateMedian / baselineCenter - 1;
  const predictionInterval = {
    level: 1 - alpha,
    low: Math.exp(meanLog - halfWidth),
    high: Math.exp(meanLog + halfWidth),
  };
  const result = { ...base, baselineCenter, change, predictionInterval };
  const spread = `${formatPercent(Math.exp(-halfWidth) - 1)} to ${formatPercent(Math.exp(halfWidth) - 1)}`;
  const level = `${Number(((1 - alpha) * 100).toFixed(2))}%`;
  const figures = `median ${formatPercent(change)} against the centre of ${k} earlier runs (${level} prediction interval of a new run ${spread})`;
  const threshold = formatPercent(thresholdRatio).slice(1);
  const logCandidate = Math.log(candidateMedian);

  if (logCandidate > meanLog + halfWidth || logCandidate < meanLog - halfWidth) {
    if (Math.abs(change) > thresholdRatio) {
      const worse = higherIsWorse ? change > 0 : change < 0;
      return {
        ...result,
        verdict: worse ? 'regression' : 'improvement',
        reason: `${figures}: outside the run-to-run variation and beyond the ${threshold} threshold`,
      };
    }
    return {
      ...result,
      verdict: 'unchanged',
      reason: `${figures}: outside the run-to-run variation but within the ${threshold} threshold`,
    };
  }
  // exp(h) - 1 >= 1 - exp(-h): the upper side is the wider one.
  if (Math.exp(halfWidth) - 1 <= thresholdRatio) {
    return {
      ...result,
      verdict: 'unchanged',
      reason: `${figures}: within the run-to-run variation, which lies within the ${threshold} threshold`,
    };
  }
  return {
    ...result,
    verdict: 'inconclusive',
    reason: `${figures}: within the run-to-run variation, but that variation reaches beyond the ${threshold} threshold; a change of that size could hide in it`,
  };
}
