// Baseline run(s) vs candidate run: match series by (scenario, case, point, target, metric), judge
// each, and say everything that makes the two sides less comparable. One baseline run: its samples
// against the candidate's (compareSamples). Several (history): each run counts once, by its median
// (compareWithHistory), never their samples pooled as if independent.
import { InputError } from '../errors.js';
import { compareSamples, compareWithHistory, MIN_HISTORY_RUNS, median } from '../stats/index.js';
import type { MetricSeries, RunResult, Series } from '../suite/run-schema.js';
import type { Accel, MetricName } from '../vocabulary.js';
import { describeFieldDiff, diffHosts, diffScenarios, readScenarioThresholds } from './compare-checks.js';
import {
  type CompareMode,
  type CompareReport,
  type CompareRow,
  ROW_VERDICTS,
  type RowVerdict,
  type RunRef,
  type ScenarioDiff,
  type ThresholdSource,
} from './compare-types.js';

export const DEFAULT_THRESHOLD_RATIO = 0.05;
export const DEFAULT_ALPHA = 0.05;

export interface CompareRunsOptions {
  /** Default relative threshold for metrics without their own, >= 0; default 0.05 (5 %). */
  thresholdRatio?: number;
  /**
   * Per-metric thresholds (ratios); they win over the scenario's `thresholds`, which win over
   * `thresholdRatio`. Normally left out: the candidate's scenario definitions supply them.
   */
  perMetricThresholds?: Partial<Record<MetricName, number>>;
  /** Significance level of the Mann–Whitney test, in (0, 1); the change CI is at 1 - alpha. Default 0.05. */
  alpha?: number;
}

interface Side {
  series: Series;
  run: RunResult;
}

/**
 * Compares a candidate run with a baseline: one run (samples against samples), or an array of
 * earlier runs (history: each run one unit, by its median; a verdict needs MIN_HISTORY_RUNS runs
 * with the series). Series only on one side become 'added'/'removed' rows; a VM series never
 * compares a TCG baseline with a KVM candidate (or the reverse): 'refused'. Different scenario
 * definitions and hosts become warnings.
 * @throws InputError when no series matches at all ("nothing to compare"), or on bad options.
 */
export function compareRuns(
  baseline: RunResult | RunResult[],
  candidate: RunResult,
  options: CompareRunsOptions = {},
): CompareReport {
  const baselines = Array.isArray(baseline) ? baseline : [baseline];
  const mode: CompareMode = Array.isArray(baseline) ? 'history' : 'two-runs';
  if (baselines.length === 0) {
    throw new InputError('expected at least one baseline run, got none', { hint: 'name a baseline run directory' });
  }
  const thresholdRatio = options.thresholdRatio ?? DEFAULT_THRESHOLD_RATIO;
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  checkOptions(thresholdRatio, alpha);

  const baselineByKey = new Map<string, Side[]>();
  for (const run of baselines) {
    for (const series of run.series) pushTo(baselineByKey, seriesKey(series), { series, run });
  }
  const candidateByKey = new Map(candidate.series.map((series) => [seriesKey(series), series]));
  if (![...candidateByKey.keys()].some((key) => baselineByKey.has(key))) {
    throw new InputError(
      `nothing to compare: baseline has scenarios [${scenarioNames(baselines).join(', ')}], candidate [${scenarioNames([candidate]).join(', ')}]`,
      { hint: 'compare two runs of the same scenario (same cases, sweep points and targets)' },
    );
  }

  const thresholdFor = makeThresholdLookup(candidate, thresholdRatio, options.perMetricThresholds ?? {});
  const rows: CompareRow[] = [];
  for (const [key, cand] of candidateByKey) {
    const bases = baselineByKey.get(key) ?? [];
    rows.push(...compareSeries(bases, cand, { alpha, thresholdFor, mode }));
  }
  for (const [key, bases] of baselineByKey) {
    if (candidateByKey.has(key)) continue;
    const first = bases[0]!.series;
    for (const metric of metricNames(bases.map((b) => b.series))) {
      rows.push(
        oneSidedRow(first, metric, bases, 'removed', 'only in the baseline', thresholdFor(first.scenario, metric)),
      );
    }
  }

  const scenarioDiffs = dedupeScenarioDiffs(baselines.flatMap((run) => diffScenarios(run, candidate)));
  const hostDiffs = baselines
    .map((run) => ({ baselineRunId: run.runId, fields: diffHosts(run, candidate) }))
    .filter((d) => d.fields.length > 0);
  const counts = Object.fromEntries(ROW_VERDICTS.map((v) => [v, 0])) as Record<RowVerdict, number>;
  for (const row of rows) counts[row.verdict] += 1;

  return {
    mode,
    method: mode === 'history' ? describeHistoryMethod(alpha) : describeMethod(alpha),
    thresholdRatio,
    alpha,
    baseline: baselines.map(runRef),
    candidate: runRef(candidate),
    counts,
    rows,
    scenarioDiffs,
    hostDiffs,
    warnings: collectWarnings(baselines, candidate, scenarioDiffs, hostDiffs, counts),
  };
}

type ThresholdLookup = (scenario: string, metric: string) => { ratio: number; source: ThresholdSource };

interface SeriesOptions {
  alpha: number;
  thresholdFor: ThresholdLookup;
  mode: CompareMode;
}

/** Rows of one candidate series against the baseline series with the same key (maybe none). */
function compareSeries(bases: Side[], cand: Series, options: SeriesOptions): CompareRow[] {
  const metrics = metricNames([cand, ...bases.map((b) => b.series)]);
  if (bases.length === 0) {
    return metrics.map((m) =>
      oneSidedRow(cand, m, [], 'added', 'only in the candidate', options.thresholdFor(cand.scenario, m)),
    );
  }
  // NOTE: a TCG figure never passes for a KVM one: only baseline series under the candidate's accelerator count.
  const sameAccel = bases.filter((b) => b.series.accel === cand.accel);
  return metrics.map((metric) => {
    const threshold = options.thresholdFor(cand.scenario, metric);
    if (sameAccel.length === 0) {
      const baseAccel = bases[0]!.series.accel;
      const reason = `baseline ran under ${describeAccel(baseAccel)}, candidate under ${describeAccel(cand.accel)}: figures of different accelerators are never compared`;
      return oneSidedRow(cand, metric, bases, 'refused', reason, threshold);
    }
    const baseMetrics = sameAccel.flatMap((b) => (b.series.metrics[metric] ? [b.series.metrics[metric]] : []));
    const candMetric = cand.metrics[metric];
    if (!candMetric && cand.status === 'failed') {
      const why = cand.reason ? `: ${cand.reason}` : '';
      const row = oneSidedRow(cand, metric, sameAccel, 'removed', '', threshold);
      return { ...row, verdict: 'failed', reason: `every candidate iteration failed${why}` };
    }
    if (!candMetric) return oneSidedRow(cand, metric, sameAccel, 'removed', 'metric only in the baseline', threshold);
    if (baseMetrics.length === 0) {
      return oneSidedRow(cand, metric, sameAccel, 'added', 'metric only in the candidate', threshold);
    }
    return options.mode === 'history'
      ? judgeAgainstHistory(sameAccel, cand, candMetric, metric, threshold, options)
      : judgeMetric(sameAccel, baseMetrics, cand, candMetric, metric, threshold, options);
  });
}

/**
 * One metric of the candidate against K earlier runs, each run one unit (its median): the runs
 * with samples of the metric count, those without are said. Baseline median = the runs' centre.
 */
function judgeAgainstHistory(
  bases: Side[],
  cand: Series,
  candMetric: MetricSeries,
  metric: string,
  threshold: { ratio: number; source: ThresholdSource },
  options: SeriesOptions,
): CompareRow {
  const runs = bases.flatMap((b) => {
    const m = b.series.metrics[metric];
    return m && m.samples.length > 0 ? [m] : [];
  });
  const row = rowBase(cand, metric, bases[0]?.series.accel, cand.accel, candMetric, threshold);
  const candSamples = candMetric.samples;
  const withSides = {
    ...row,
    baselineRuns: runs.length,
    baselineN: runs.reduce((sum, m) => sum + m.samples.length, 0),
    candidateN: candSamples.length,
    candidateMedian: candSamples.length > 0 ? median(candSamples) : null,
  };
  if (runs.some((m) => m.unit !== candMetric.unit)) {
    return { ...withSides, verdict: 'refused', reason: `units differ (${runs[0]!.unit} vs ${candMetric.unit})` };
  }
  if (candSamples.length === 0) {
    const why = cand.reason ? `: ${cand.reason}` : '';
    const failed = runs.length > 0 && cand.status !== 'skipped';
    return {
      ...withSides,
      verdict: failed ? 'failed' : 'inconclusive',
      reason: `the candidate recorded no samples (series ${cand.status}${why})`,
    };
  }
  if (runs.length === 0) {
    return { ...withSides, verdict: 'inconclusive', reason: 'no earlier run recorded samples of this metric' };
  }
  const without = bases.length - runs.length;
  const result = compareWithHistory(
    runs.map((m) => m.samples),
    candSamples,
    { thresholdRatio: threshold.ratio, alpha: options.alpha, higherIsWorse: candMetric.higherIsWorse },
  );
  const note = without > 0 ? ` (${without} earlier run${without === 1 ? '' : 's'} without samples of it left out)` : '';
  return {
    ...withSides,
    baselineMedian: result.baselineCenter ?? median(result.baselineRunMedians),
    change: result.change,
    predictionInterval: result.predictionInterval,
    verdict: result.verdict,
    reason: `${result.reason}${note}`,
  };
}

function judgeMetric(
  bases: Side[],
  baseMetrics: MetricSeries[],
  cand: Series,
  candMetric: MetricSeries,
  metric: string,
  threshold: { ratio: number; source: ThresholdSource },
  options: SeriesOptions,
): CompareRow {
  const baseSamples = baseMetrics.flatMap((m) => m.samples);
  const candSamples = candMetric.samples;
  const row = rowBase(cand, metric, bases[0]?.series.accel, cand.accel, candMetric, threshold);
  const withMedians = {
    ...row,
    baselineRuns: bases.length,
    baselineN: baseSamples.length,
    candidateN: candSamples.length,
    baselineMedian: baseSamples.length > 0 ? median(baseSamples) : null,
    candidateMedian: candSamples.length > 0 ? median(candSamples) : null,
  };
  if (baseMetrics.some((m) => m.unit !== candMetric.unit)) {
    const units = `${baseMetrics[0]!.unit} vs ${candMetric.unit}`;
    return { ...withMedians, verdict: 'refused', reason: `units differ (${units})` };
  }
  if (candSamples.length === 0) {
    const why = cand.reason ? `: ${cand.reason}` : '';
    if (baseSamples.length > 0 && cand.status !== 'skipped') {
      return {
        ...withMedians,
        verdict: 'failed',
        reason: `the candidate recorded no samples (series ${cand.status}${why})`,
      };
    }
    return {
      ...withMedians,
      verdict: 'inconclusive',
      reason: `the candidate recorded no samples (series ${cand.status}${why})`,
    };
  }
  if (baseSamples.length === 0) {
    const status = bases.map((b) => b.series.status).join(', ');
    return { ...withMedians, verdict: 'inconclusive', reason: `the baseline recorded no samples (series ${status})` };
  }
  const result = compareSamples(baseSamples, candSamples, {
    thresholdRatio: threshold.ratio,
    alpha: options.alpha,
    higherIsWorse: candMetric.higherIsWorse,
  });
  return { ...withMedians, ...result };
}

/**
 * A row without statistics. 'added': `series` is the candidate's; 'removed': `series` is the
 * baseline's (or the candidate's, when only the metric is gone); 'refused': medians are left out on
 * purpose, so a TCG figure is never shown as if it compared with a KVM one.
 */
function oneSidedRow(
  series: Series,
  metric: string,
  bases: Side[],
  verdict: 'added' | 'removed' | 'refused',
  reason: string,
  threshold: { ratio: number; source: ThresholdSource },
): CompareRow {
  const info = series.metrics[metric] ?? bases.map((b) => b.series.metrics[metric]).find(Boolean);
  const candidate = bases.some((b) => b.series === series) ? undefined : series;
  const row = rowBase(series, metric, bases[0]?.series.accel, candidate?.accel, info, threshold);
  if (verdict === 'refused') return { ...row, verdict, reason };
  const baseSamples = bases.flatMap((b) => b.series.metrics[metric]?.samples ?? []);
  const candSamples = candidate?.metrics[metric]?.samples ?? [];
  return {
    ...row,
    verdict,
    reason,
    baselineRuns: bases.length,
    baselineN: baseSamples.length,
    candidateN: candSamples.length,
    baselineMedian: baseSamples.length > 0 ? median(baseSamples) : null,
    candidateMedian: candSamples.length > 0 ? median(candSamples) : null,
  };
}

function rowBase(
  series: Series,
  metric: string,
  baselineAccel: Accel | undefined,
  candidateAccel: Accel | undefined,
  info: MetricSeries | undefined,
  threshold: { ratio: number; source: ThresholdSource },
): CompareRow {
  const accel: CompareRow['accel'] = {};
  if (baselineAccel) accel.baseline = baselineAccel;
  if (candidateAccel) accel.candidate = candidateAccel;
  return {
    scenario: series.scenario,
    case: series.case,
    point: series.point,
    // A non-stock vm kernel is its own row; its name says which (the stock one keeps plain "vm").
    target:
      series.target === 'vm' && series.variant !== undefined && series.variant !== 'stock'
        ? `vm, ${series.variant} kernel`
        : series.target,
    metric,
    unit: info?.unit ?? 'ns',
    higherIsWorse: info?.higherIsWorse ?? true,
    accel,
    verdict: 'inconclusive',
    reason: '',
    thresholdRatio: threshold.ratio,
    thresholdSource: threshold.source,
    baselineRuns: 0,
    baselineN: 0,
    candidateN: 0,
    baselineMedian: null,
    candidateMedian: null,
    change: null,
    changeCi: null,
    predictionInterval: null,
    pValue: null,
  };
}

/** Explicit per-metric option > the candidate scenario's thresholds > the default ratio. */
function makeThresholdLookup(
  candidate: RunResult,
  defaultRatio: number,
  explicit: Partial<Record<string, number>>,
): ThresholdLookup {
  for (const [metric, ratio] of Object.entries(explicit)) checkOptions(ratio ?? Number.NaN, DEFAULT_ALPHA, metric);
  const perScenario = new Map<string, Record<string, number>>();
  return (scenario, metric) => {
    const own = explicit[metric];
    if (own !== undefined) return { ratio: own, source: 'option' };
    let fromScenario = perScenario.get(scenario);
    if (!fromScenario) {
      fromScenario = readScenarioThresholds(candidate, scenario);
      perScenario.set(scenario, fromScenario);
    }
    const ratio = fromScenario[metric];
    return ratio === undefined ? { ratio: defaultRatio, source: 'default' } : { ratio, source: 'scenario' };
  };
}

function checkOptions(thresholdRatio: number, alpha: number, metric?: string): void {
  if (!(Number.isFinite(thresholdRatio) && thresholdRatio >= 0)) {
    const what = metric ? `the threshold of ${metric}` : 'the threshold';
    throw new InputError(`expected ${what} to be a ratio >= 0, got ${thresholdRatio}`, { hint: 'e.g. 0.05 for 5 %' });
  }
  if (!(alpha > 0 && alpha < 1)) {
    throw new InputError(`expected alpha to be in (0, 1), got ${alpha}`, { hint: 'e.g. 0.05' });
  }
}

/** Same key = same scenario, case, sweep point (key order ignored), target and vm kernel variant. */
export function seriesKey(series: Pick<Series, 'scenario' | 'case' | 'point' | 'target' | 'variant'>): string {
  const point = Object.keys(series.point)
    .sort()
    .map((k) => [k, series.point[k]]);
  // A stock vm recorded before variants existed compares with a stock one recorded after.
  const variant =
    series.target === 'vm' && series.variant !== undefined && series.variant !== 'stock' ? series.variant : '';
  return JSON.stringify([series.scenario, series.case, point, series.target, ...(variant ? [variant] : [])]);
}

function metricNames(series: Series[]): string[] {
  return [...new Set(series.flatMap((s) => Object.keys(s.metrics)))].sort();
}

function scenarioNames(runs: RunResult[]): string[] {
  const names = runs.flatMap((run) => [...run.scenarios.map((s) => s.name), ...run.series.map((s) => s.scenario)]);
  return [...new Set(names)].sort();
}

function runRef(run: RunResult): RunRef {
  return { runId: run.runId, startedAt: run.startedAt, commit: run.isobench.commit };
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function describeAccel(accel: Accel | undefined): string {
  return accel ? accel.toUpperCase() : 'no accelerator recorded';
}

/** Several baseline runs of one definition give one diff, not one per run. */
function dedupeScenarioDiffs(diffs: ScenarioDiff[]): ScenarioDiff[] {
  const seen = new Set<string>();
  return diffs.filter((d) => {
    const key = `${d.scenario}\0${d.baselineSha256}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describeHistoryMethod(alpha: number): string {
  const level = Number(((1 - alpha) * 100).toFixed(2));
  return (
    `each earlier run counts once, by its median: a ${level}% prediction interval for the median of one more run, ` +
    "from the earlier runs' medians on a log scale (Student's t, K - 1 degrees of freedom); a regression needs " +
    `the candidate's median outside it and a change beyond the threshold; a verdict needs K >= ${MIN_HISTORY_RUNS} runs`
  );
}

function describeMethod(alpha: number): string {
  const level = Number(((1 - alpha) * 100).toFixed(2));
  return (
    `Mann–Whitney U test (two-sided, alpha = ${alpha}) plus a ${level}% CI of the ratio candidate / baseline ` +
    '(Hodges–Lehmann on log values, assuming a change scales every value alike); a regression needs p < alpha, ' +
    'a CI that excludes no change, and a change of the median beyond the threshold'
  );
}

function collectWarnings(
  baselines: RunResult[],
  candidate: RunResult,
  scenarioDiffs: ScenarioDiff[],
  hostDiffs: CompareReport['hostDiffs'],
  counts: Record<RowVerdict, number>,
): string[] {
  const warnings: string[] = [];
  const baseNames = scenarioNames(baselines);
  const candNames = scenarioNames([candidate]);
  const onlyBase = baseNames.filter((n) => !candNames.includes(n));
  const onlyCand = candNames.filter((n) => !baseNames.includes(n));
  if (onlyBase.length > 0) warnings.push(`scenarios only in the baseline: ${onlyBase.join(', ')}`);
  if (onlyCand.length > 0) warnings.push(`scenarios only in the candidate: ${onlyCand.join(', ')}`);
  for (const run of [...baselines, candidate]) {
    if (run.status !== 'complete') warnings.push(`run ${run.runId} is ${run.status}: it stopped before every case ran`);
  }
  for (const diff of scenarioDiffs) {
    const fields = diff.fields.map(describeFieldDiff).join('; ') + (diff.truncated ? '; ...' : '');
    warnings.push(
      `scenario ${diff.scenario} differs (sha256 ${diff.baselineSha256.slice(0, 12)} vs ${diff.candidateSha256.slice(0, 12)}): ${fields || 'same fields, other file'}`,
    );
  }
  for (const { baselineRunId, fields } of hostDiffs) {
    warnings.push(`baseline run ${baselineRunId} ran on another host: ${fields.map(describeFieldDiff).join('; ')}`);
  }
  if (counts.refused > 0) {
    warnings.push(`${counts.refused} metric(s) refused: baseline and candidate differ in accelerator or unit`);
  }
  return warnings;
}
