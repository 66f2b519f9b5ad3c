// The report model: every figure a report shows (summaries, ratios to native with their CIs,
// grouping, environment), computed once from run results. Exporters only format it.

import { describePhase, METRIC_DEFINITIONS } from '../metric-definitions.js';
import {
  computeRatioCi,
  findMedianCiMinN,
  type MedianCi,
  median,
  OUTLIER_MIN_N,
  OUTLIER_Z_LIMIT,
  type RatioCi,
  type Summary,
  summarize,
} from '../stats/index.js';
import type { RunResult, Series } from '../suite/run-schema.js';
import { type Accel, METRICS, type MetricName, TARGET_KINDS, type TargetKind } from '../vocabulary.js';
import { type RunConditions, readRunConditions } from './conditions.js';
import { computeDensityFits, type DensityFit } from './density.js';
import { describeEnvironment, type HostEnvironment } from './environment.js';

/** Confidence level of every CI in a report. */
export const REPORT_CONFIDENCE = 0.95;

/** The metrics of the answer table, in the order they are shown. */
export const ANSWER_METRICS = [
  'startup.ready',
  'startup.exit',
  'teardown',
  'memory.instance',
  'memory.pss_file',
  'memory.pss',
  'disk.image',
  'disk.image_own',
  'disk.instance',
  'io.write_throughput',
  'io.randwrite_throughput',
  'cpu.time',
] as const satisfies readonly MetricName[];

/** The ratios of the answer table: numerator median over denominator median. */
export const ANSWER_RATIOS = [
  { key: 'container/native', numerator: 'container', denominator: 'native' },
  { key: 'vm/native', numerator: 'vm', denominator: 'native' },
  { key: 'vm/container', numerator: 'vm', denominator: 'container' },
] as const satisfies ReadonlyArray<{ key: string; numerator: TargetKind; denominator: TargetKind }>;
export type RatioKey = (typeof ANSWER_RATIOS)[number]['key'];

/** One run of the report, labelled for columns and datasets. */
export interface RunInfo {
  /** Position in the report's run list (columns, datasets). */
  index: number;
  runId: string;
  /**
   * "2025-01-15 · host bench-tcg-01 · b7e4c2d", unique within the report. It starts with the date
   * and names the host as a host, so a hostname such as "vm" never reads as a target.
   */
  label: string;
  hostname: string;
  /** First 7 hex digits of the isobench commit, "+dirty" when the tree was dirty; null when unknown. */
  commit: string | null;
  /** Day the run started, YYYY-MM-DD (as recorded; never the time of the report). */
  date: string;
  /** When the run started, ISO 8601 in UTC when the record parses as a time, else as recorded. */
  startedAt: string;
  status: RunResult['status'];
  /** True when the run did not reach status 'complete': figures may be missing. */
  interrupted: boolean;
  isobenchVersion: string;
  environment: HostEnvironment;
  scenarios: string[];
  /** How the targets were ordered in each round, in words (with the seed that replays it). */
  order: string;
  /** The host's page cache during launches: warm, or cold (dropped before each, --cold). */
  pageCache: string;
}

/** A ratio of medians with its CI (stats computeRatioCi), or the reason it has none. */
export interface RatioFigure {
  ratio: number;
  ci: RatioCi;
  /** Accelerator of the vm side of the ratio, if any: a TCG ratio must not pass for KVM. */
  accel: Accel | null;
}

/** One metric of one series: its samples, summary and ratio to the native series beside it. */
export interface MetricFigures {
  metric: string;
  /** Base unit of `samples` and the summary. */
  unit: string;
  higherIsWorse: boolean;
  samples: number[];
  /** Iteration index of each sample (same length as `samples`). */
  sampleIterations: number[];
  /** Recomputed from `samples` at REPORT_CONFIDENCE; null when no iteration succeeded. */
  summary: Summary | null;
  /** This series over the native series of the same run, scenario, case and point. */
  ratioToNative: RatioFigure | null;
}

/** Where a series or group stands: which run, scenario, case and sweep point. */
export interface SeriesPlace {
  runIndex: number;
  scenario: string;
  case: string;
  measure: Series['measure'];
  point: Series['point'];
  pointKey: string;
  pointLabel: string;
}

/** One target of one (run, scenario, case, point). */
export interface SeriesView extends SeriesPlace {
  target: TargetKind;
  accel: Accel | null;
  /** vm: the guest kernel variant as recorded ('stock', 'minimal'); null when not recorded. */
  variant: string | null;
  /** "vm (TCG)", "vm (TCG, minimal kernel)", "native", ... */
  targetLabel: string;
  status: Series['status'];
  reason: string | null;
  /** Recorded (non-warm-up) iterations, failed ones included. */
  recordedIterations: number;
  failures: Array<{ index: number; error: string }>;
  metrics: MetricFigures[];
  /** Median ns from launch of each startup phase over the successful iterations; null without phases. */
  phasesMedianNs: Record<string, number> | null;
  /** Memory over time of the median iteration (ranked by peak PSS); null without timelines. */
  timeline: Array<{ tMs: number; pssBytes: number }> | null;
}

/** The targets of one run at one (scenario, case, point), in TARGET_KINDS order. */
export interface SeriesGroup extends SeriesPlace {
  series: SeriesView[];
}

/**
 * A target of the answer: its kind and, for the vm, the guest kernel variant. Each variant is a
 * target of its own (its own median and ratios), so a minimal-kernel figure never passes for a
 * stock-kernel one.
 */
export interface AnswerTarget {
  target: TargetKind;
  /** vm: the kernel variant as recorded ('stock', 'minimal'); null for other kinds or when not recorded. */
  variant: string | null;
}

/** The median of one target (one vm kernel variant) in one run. */
export interface TargetFigure extends AnswerTarget {
  median: number;
  n: number;
  ci: MedianCi;
  accel: Accel | null;
}

/** A ratio of the answer: which pair (`key`) and, for a vm numerator, which kernel variant. */
export interface AnswerRatio extends RatioFigure {
  key: RatioKey;
  /** Kernel variant of the vm side; null for container / native and for an unrecorded variant. */
  variant: string | null;
}

/** One run's column of an answer row. */
export interface AnswerCell {
  /** A figure per target and per vm kernel variant, in answer order (compareAnswerTargets). */
  figures: TargetFigure[];
  /** container / native, then vm / native and vm / container for each vm variant, as far as both sides exist. */
  ratios: AnswerRatio[];
}

/** One line of the answer: a metric at one (scenario, case, point), a cell per run. */
export interface AnswerRow {
  metric: MetricName;
  unit: string;
  higherIsWorse: boolean;
  description: string;
  scenario: string;
  case: string;
  pointKey: string;
  pointLabel: string;
  /** Targets (each vm kernel variant apart) with a median in any run, in answer order. */
  targets: AnswerTarget[];
  /** Indexed like ReportModel.runs; null when the run did not measure this. */
  cells: Array<AnswerCell | null>;
}

/** A target that did not run (skipped) or produced nothing (failed), with the reason. */
export interface SkippedTarget {
  runIndex: number;
  scenario: string;
  case: string;
  pointLabel: string;
  target: TargetKind;
  status: Series['status'];
  reason: string;
}

/** Parameters of the statistics every figure of a report went through (methods: stats/). */
export interface ReportStats {
  /** Level of every CI, e.g. 0.95. */
  confidence: number;
  /** Smallest n with an order-statistics CI of a median at `confidence` (6 at 0.95). */
  medianCiMinN: number;
  /** Smallest n the outlier rule is applied to. */
  outlierMinN: number;
  /** Modified z-score cut-off of the outlier rule. */
  outlierZLimit: number;
}

export interface ReportModel {
  runs: RunInfo[];
  answer: AnswerRow[];
  groups: SeriesGroup[];
  skipped: SkippedTarget[];
  /** The statistical methods' parameters, for the report's own account of them. */
  stats: ReportStats;
  /** The figures of the first screen: a few answer rows, picked by HEADLINE_FIGURES. */
  headline: HeadlineRow[];
  /** Marginal host memory per instance, per (run, scenario, case, target) with a density sweep. */
  density: DensityFit[];
  /** What each figure covers on each target, with its n and phases (src/metric-definitions.ts). */
  definitions: DefinitionRow[];
  /** The conditions of each run (indexed like `runs`), for the Method section's caveats. */
  conditions: RunConditions[];
}

/** Which figure a headline row answers. */
export type HeadlineKey = 'startup' | 'memory' | 'disk' | 'disk-own';

/** A figure of the first screen: one answer row (its metric at one case and point), a cell per run. */
export interface HeadlineRow extends Omit<AnswerRow, 'cells'> {
  key: HeadlineKey;
  cells: Array<AnswerCell | null>;
}

/** One line of the Method section's table: a metric on a target as this report's runs recorded it. */
export interface DefinitionRow {
  metric: string;
  target: TargetKind;
  /** What the metric is on every target (METRIC_DEFINITIONS, else the vocabulary's description). */
  common: string;
  /** What it covers on this target; null where the common sentence says it all. */
  covers: string | null;
  /** Smallest and largest n of the metric's series on this target, over every run and point. */
  nMin: number;
  nMax: number;
  /** The startup phases recorded for this target, in words, in the order they happen; [] without phases. */
  phases: string[];
}

/** Canonical key of a sweep point: keys sorted, "instances=4,memory=268435456"; "" without a sweep. */
export function formatPointKey(point: Series['point']): string {
  return Object.keys(point)
    .sort()
    .map((key) => `${key}=${point[key]}`)
    .join(',');
}

/** Human label of a sweep point: "instances=4, memory=256 MiB"; "" without a sweep. */
export function formatPointLabel(point: Series['point']): string {
  return Object.keys(point)
    .sort()
    .map((key) => {
      const value = point[key]!;
      // Memory sweep values are bytes; show whole MiB as the scenario wrote them.
      if (key === 'memory' && typeof value === 'number' && value % (1024 * 1024) === 0) {
        return `memory=${value / (1024 * 1024)} MiB`;
      }
      return `${key}=${value}`;
    })
    .join(', ');
}

/**
 * "vm (TCG)" for the vm target (accel upper-cased, "accel unknown" when not recorded), with the
 * kernel variant when recorded: "vm (TCG, minimal kernel)"; the kind otherwise.
 */
export function formatTargetLabel(target: TargetKind, accel: Accel | null, variant: string | null = null): string {
  if (target !== 'vm') return target;
  const accelText = accel ? accel.toUpperCase() : 'accel unknown';
  return `vm (${accelText}${variant ? `, ${variant} kernel` : ''})`;
}

/** Rank of a vm kernel variant: Debian's stock kernel (or an unrecorded one) first, then by name. */
function variantRank(variant: string | null): string {
  return variant === null || variant === 'stock' ? '' : variant;
}

/** Answer order: TARGET_KINDS, and within the vm the stock kernel first, then the variants by name. */
export function compareAnswerTargets(a: AnswerTarget, b: AnswerTarget): number {
  return (
    TARGET_KINDS.indexOf(a.target) - TARGET_KINDS.indexOf(b.target) ||
    variantRank(a.variant).localeCompare(variantRank(b.variant))
  );
}

/** The figure of `target` in a cell; for the vm, of one kernel variant (null: the one without a recorded variant). */
export function findFigure(cell: AnswerCell, target: TargetKind, variant: string | null = null): TargetFigure | null {
  return cell.figures.find((figure) => figure.target === target && figure.variant === variant) ?? null;
}

/** The vm figures of a cell, one per kernel variant, stock first. */
export function listVmFigures(cell: AnswerCell): TargetFigure[] {
  return cell.figures.filter((figure) => figure.target === 'vm');
}

/** The ratio `key` of a cell; for a vm numerator, of one kernel variant. */
export function findRatio(cell: AnswerCell, key: RatioKey, variant: string | null = null): AnswerRatio | null {
  return cell.ratios.find((ratio) => ratio.key === key && ratio.variant === variant) ?? null;
}

function labelRun(run: RunResult, environment: HostEnvironment): Omit<RunInfo, 'index'> {
  const commit = run.isobench.commit ? run.isobench.commit.slice(0, 7) + (run.isobench.dirty ? '+dirty' : '') : null;
  const date = /^\d{4}-\d{2}-\d{2}/.test(run.startedAt) ? run.startedAt.slice(0, 10) : run.startedAt;
  return {
    runId: run.runId,
    label: `${date} · host ${environment.hostname} · ${commit ?? 'no commit'}`,
    hostname: environment.hostname,
    commit,
    date,
    startedAt: Number.isNaN(Date.parse(run.startedAt)) ? run.startedAt : new Date(run.startedAt).toISOString(),
    status: run.status,
    interrupted: run.status !== 'complete',
    isobenchVersion: run.isobench.version,
    environment,
    scenarios: run.scenarios.map((scenario) => scenario.name),
    order: describeOrder(run.order),
    pageCache:
      run.conditions === undefined
        ? 'not recorded'
        : run.conditions.cold
          ? 'cold: dropped before every launch (--cold)'
          : 'warm',
  };
}

function describeOrder(order: RunResult['order']): string {
  if (order === undefined) return 'not recorded';
  if (order.method === 'rotated') return 'rotated: round r starts with target r mod n';
  return `random permutation per round, seed ${order.seed} (suite run --seed ${order.seed} replays it)`;
}

/** Labels runs; two runs with the same host, commit and day get their run id appended. */
function describeRuns(runs: readonly RunResult[]): RunInfo[] {
  const infos = runs.map((run, index) => ({ ...labelRun(run, describeEnvironment(run.environment)), index }));
  const counts = new Map<string, number>();
  for (const info of infos) counts.set(info.label, (counts.get(info.label) ?? 0) + 1);
  return infos.map((info) =>
    counts.get(info.label)! > 1 ? { ...info, label: `${info.label} · ${info.runId}` } : info,
  );
}

function summarizeSamples(samples: readonly number[]): Summary | null {
  if (samples.length === 0) return null;
  return summarize(samples, { confidence: REPORT_CONFIDENCE });
}

/**
 * Ratio of medians a / b with its CI at REPORT_CONFIDENCE (Hodges–Lehmann on log values; 'n-too-small'
 * or 'not-positive' with the reason when it has none). Null when either side has no samples or the
 * denominator median is 0.
 */
export function computeRatio(a: readonly number[], b: readonly number[], accel: Accel | null): RatioFigure | null {
  if (a.length === 0 || b.length === 0) return null;
  const denominator = median(b);
  if (denominator === 0) return null;
  return { ratio: median(a) / denominator, ci: computeRatioCi(a, b, REPORT_CONFIDENCE), accel };
}

function medianPhases(series: Series, recorded: Series['iterations']): Record<string, number> | null {
  const byPhase = new Map<string, number[]>();
  for (const iteration of recorded) {
    if (!iteration.ok || !iteration.phasesNs) continue;
    for (const [phase, ns] of Object.entries(iteration.phasesNs)) {
      if (!byPhase.has(phase)) byPhase.set(phase, []);
      byPhase.get(phase)!.push(ns);
    }
  }
  if (byPhase.size === 0 || series.status === 'skipped') return null;
  const phases: Record<string, number> = {};
  for (const [phase, values] of byPhase) phases[phase] = median(values);
  return phases;
}

function medianTimeline(recorded: Series['iterations']): SeriesView['timeline'] {
  const withTimeline = recorded.filter(
    (iteration) => iteration.ok && iteration.timeline && iteration.timeline.length > 0,
  );
  if (withTimeline.length === 0) return null;
  const peak = (iteration: (typeof withTimeline)[number]) => Math.max(...iteration.timeline!.map((p) => p.pssBytes));
  // Lower median by peak PSS, ties by iteration index, so the pick is stable.
  const ranked = [...withTimeline].sort((x, y) => peak(x) - peak(y) || x.index - y.index);
  return ranked[Math.floor((ranked.length - 1) / 2)]!.timeline!.map((p) => ({ tMs: p.tMs, pssBytes: p.pssBytes }));
}

/**
 * Iteration index of each sample: samples are the successful recorded values in iteration order
 * (suite/run-schema.ts), so the k-th sample is the k-th such iteration; positions when they disagree.
 */
function indexSamples(recorded: Series['iterations'], metric: string, sampleCount: number): number[] {
  const indices = recorded.filter((it) => it.ok && it.values[metric] !== undefined).map((it) => it.index);
  return indices.length === sampleCount ? indices : Array.from({ length: sampleCount }, (_, k) => k);
}

function viewSeries(series: Series, runIndex: number): SeriesView {
  const recorded = series.iterations.filter((iteration) => !iteration.warmup);
  const accel = series.accel ?? null;
  return {
    runIndex,
    scenario: series.scenario,
    case: series.case,
    measure: series.measure,
    point: series.point,
    pointKey: formatPointKey(series.point),
    pointLabel: formatPointLabel(series.point),
    target: series.target,
    accel,
    variant: series.variant ?? null,
    targetLabel: formatTargetLabel(series.target, accel, series.variant ?? null),
    status: series.status,
    reason: series.reason ?? null,
    recordedIterations: recorded.length,
    failures: recorded
      .filter((iteration) => !iteration.ok)
      .map((iteration) => ({ index: iteration.index, error: iteration.error ?? 'failed without a message' })),
    metrics: sortMetricNames(Object.keys(series.metrics)).map((metric) => {
      const recordedMetric = series.metrics[metric]!;
      return {
        metric,
        unit: recordedMetric.unit,
        higherIsWorse: recordedMetric.higherIsWorse,
        samples: [...recordedMetric.samples],
        sampleIterations: indexSamples(recorded, metric, recordedMetric.samples.length),
        summary: summarizeSamples(recordedMetric.samples),
        ratioToNative: null,
      };
    }),
    phasesMedianNs: medianPhases(series, recorded),
    timeline: medianTimeline(recorded),
  };
}

/** Known metrics in METRICS order, then unknown ones alphabetically. */
export function sortMetricNames(names: readonly string[]): string[] {
  const order = Object.keys(METRICS);
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function groupKey(runIndex: number, series: Pick<Series, 'scenario' | 'case'>, pointKey: string): string {
  return JSON.stringify([runIndex, series.scenario, series.case, pointKey]);
}

/** Groups a run's series by (scenario, case, point) in first-seen order; targets in TARGET_KINDS order. */
function groupSeries(run: RunResult, runIndex: number): SeriesGroup[] {
  const groups = new Map<string, SeriesGroup>();
  for (const series of run.series) {
    const view = viewSeries(series, runIndex);
    const key = groupKey(runIndex, series, view.pointKey);
    if (!groups.has(key)) {
      groups.set(key, {
        runIndex,
        scenario: view.scenario,
        case: view.case,
        measure: view.measure,
        point: view.point,
        pointKey: view.pointKey,
        pointLabel: view.pointLabel,
        series: [],
      });
    }
    groups.get(key)!.series.push(view);
  }
  for (const group of groups.values()) {
    group.series.sort((a, b) => TARGET_KINDS.indexOf(a.target) - TARGET_KINDS.indexOf(b.target));
    addRatiosToNative(group);
  }
  return [...groups.values()];
}

function addRatiosToNative(group: SeriesGroup): void {
  const native = group.series.find((series) => series.target === 'native');
  if (!native) return;
  for (const series of group.series) {
    if (series === native) continue;
    for (const figures of series.metrics) {
      const base = native.metrics.find((m) => m.metric === figures.metric);
      if (base) figures.ratioToNative = computeRatio(figures.samples, base.samples, series.accel);
    }
  }
}

function findMetric(series: SeriesView | undefined, metric: string): MetricFigures | undefined {
  return series?.metrics.find((m) => m.metric === metric && m.summary !== null);
}

/** The answer target of a series: the vm's kernel variant, null for the other kinds. */
function answerTargetOf(series: SeriesView): AnswerTarget {
  return { target: series.target, variant: series.target === 'vm' ? series.variant : null };
}

function buildAnswerCell(group: SeriesGroup, metric: MetricName): AnswerCell | null {
  const measured = group.series
    .flatMap((series) => {
      const figures = findMetric(series, metric);
      return figures?.summary ? [{ series, figures, summary: figures.summary, ...answerTargetOf(series) }] : [];
    })
    .sort(compareAnswerTargets);
  if (measured.length === 0) return null;
  const cell: AnswerCell = {
    figures: measured.map(({ series, summary, target, variant }) => {
      const { median: mid, n, ci } = summary;
      return { target, variant, median: mid, n, ci, accel: series.accel };
    }),
    ratios: [],
  };
  // NOTE: non-vm targets have one series per group; the vm has one per kernel variant.
  const first = (target: TargetKind) => measured.find((entry) => entry.series.target === target);
  for (const pair of ANSWER_RATIOS) {
    const denominator = first(pair.denominator);
    if (!denominator) continue;
    for (const numerator of measured.filter((entry) => entry.series.target === pair.numerator)) {
      const { series, figures, variant } = numerator;
      // The native ratios are already computed for the series; only vm / container is new.
      const ratio =
        pair.denominator === 'native'
          ? figures.ratioToNative
          : computeRatio(figures.samples, denominator.figures.samples, series.accel);
      if (ratio) cell.ratios.push({ ...ratio, key: pair.key, variant });
    }
  }
  return cell;
}

function buildAnswer(groups: readonly SeriesGroup[], runCount: number): AnswerRow[] {
  const rows: AnswerRow[] = [];
  for (const metric of ANSWER_METRICS) {
    const rowsByKey = new Map<string, AnswerRow>();
    for (const group of groups) {
      const cell = buildAnswerCell(group, metric);
      if (!cell) continue;
      const key = JSON.stringify([group.scenario, group.case, group.pointKey]);
      if (!rowsByKey.has(key)) {
        const info = METRICS[metric];
        rowsByKey.set(key, {
          metric,
          unit: info.unit,
          higherIsWorse: info.higherIsWorse,
          description: info.description,
          scenario: group.scenario,
          case: group.case,
          pointKey: group.pointKey,
          pointLabel: group.pointLabel,
          targets: [],
          cells: new Array<AnswerCell | null>(runCount).fill(null),
        });
      }
      const row = rowsByKey.get(key)!;
      row.cells[group.runIndex] = cell;
    }
    for (const row of rowsByKey.values()) {
      const targets = new Map<string, AnswerTarget>();
      for (const { target, variant } of row.cells.flatMap((cell) => cell?.figures ?? [])) {
        targets.set(JSON.stringify([target, variant]), { target, variant });
      }
      row.targets = [...targets.values()].sort(compareAnswerTargets);
      rows.push(row);
    }
  }
  return rows;
}

function listSkipped(groups: readonly SeriesGroup[]): SkippedTarget[] {
  return groups.flatMap((group) =>
    group.series
      .filter((series) => series.status === 'skipped' || series.status === 'failed')
      .map((series) => ({
        runIndex: group.runIndex,
        scenario: group.scenario,
        case: group.case,
        pointLabel: group.pointLabel,
        target: series.target,
        status: series.status,
        reason: series.reason ?? (series.status === 'failed' ? 'every iteration failed' : 'no reason recorded'),
      })),
  );
}

/**
 * Computes everything a report shows from validated runs (see readRun). Pure and deterministic:
 * no resampling, nothing depends on the time of the call.
 * @param runs - one or more runs; each becomes a column of the answer and a dataset of each chart.
 */
export function buildReportModel(runs: readonly RunResult[]): ReportModel {
  const groups = runs.flatMap((run, index) => groupSeries(run, index));
  const answer = buildAnswer(groups, runs.length);
  return {
    runs: describeRuns(runs),
    answer,
    groups,
    skipped: listSkipped(groups),
    stats: {
      confidence: REPORT_CONFIDENCE,
      medianCiMinN: findMedianCiMinN(REPORT_CONFIDENCE),
      outlierMinN: OUTLIER_MIN_N,
      outlierZLimit: OUTLIER_Z_LIMIT,
    },
    headline: pickHeadline(answer, groups),
    density: computeDensityFits(groups, REPORT_CONFIDENCE),
    definitions: buildDefinitions(groups),
    conditions: runs.map((run, index) => readRunConditions(run, index, groups)),
  };
}

/**
 * The figures the first screen answers with, each by the first metric a run has: start-up,
 * memory per instance, disk per image, and disk without what every VM image shares (only when a
 * run recorded that shared part).
 */
export const HEADLINE_FIGURES: ReadonlyArray<{ key: HeadlineKey; metrics: readonly MetricName[] }> = [
  { key: 'startup', metrics: ['startup.ready', 'startup.exit'] },
  { key: 'memory', metrics: ['memory.instance', 'memory.pss'] },
  { key: 'disk', metrics: ['disk.image'] },
  { key: 'disk-own', metrics: ['disk.image_own'] },
];

const HEADLINE_TARGETS: readonly TargetKind[] = ['container', 'vm', 'native'];

function hasTarget(cell: AnswerCell | null | undefined, target: TargetKind): boolean {
  return cell?.figures.some((figure) => figure.target === target) ?? false;
}

/** How many of container, vm and native a row has in one run; rows without a sweep point win ties. */
function headlineScore(row: AnswerRow, runIndex: number): number {
  const targets = HEADLINE_TARGETS.filter((target) => hasTarget(row.cells[runIndex], target)).length;
  return targets * 2 + (row.pointKey === '' ? 1 : 0);
}

function pickHeadline(answer: readonly AnswerRow[], groups: readonly SeriesGroup[]): HeadlineRow[] {
  // disk.image_own differs from disk.image only where a shared kernel was recorded.
  const hasKernel = groups.some((group) =>
    group.series.some((series) => series.metrics.some((m) => m.metric === 'disk.image_kernel' && m.samples.length > 0)),
  );
  // Runs of different scenarios have different best rows: each run gets its own, shared rows once.
  const runCount = answer[0]?.cells.length ?? 0;
  return HEADLINE_FIGURES.flatMap(({ key, metrics }) => {
    if (key === 'disk-own' && !hasKernel) return [];
    const picked: AnswerRow[] = [];
    for (let runIndex = 0; runIndex < runCount; runIndex++) {
      for (const metric of metrics) {
        const rows = answer.filter(
          (row) =>
            row.metric === metric &&
            row.cells[runIndex] !== null &&
            HEADLINE_TARGETS.some((target) => hasTarget(row.cells[runIndex], target)),
        );
        if (rows.length === 0) continue;
        const best = rows.reduce((a, b) => (headlineScore(b, runIndex) > headlineScore(a, runIndex) ? b : a));
        if (!picked.includes(best)) picked.push(best);
        break;
      }
    }
    return picked.map((row) => ({ ...row, key }));
  });
}

/** The Method table: every (metric, target) with samples, in METRICS then TARGET_KINDS order. */
function buildDefinitions(groups: readonly SeriesGroup[]): DefinitionRow[] {
  const rows = new Map<string, DefinitionRow>();
  const phaseTimes = new Map<TargetKind, Map<string, number[]>>();
  for (const group of groups) {
    for (const series of group.series) {
      if (series.phasesMedianNs && group.measure === 'startup') {
        const phases = phaseTimes.get(series.target) ?? new Map<string, number[]>();
        for (const [phase, ns] of Object.entries(series.phasesMedianNs))
          phases.set(phase, [...(phases.get(phase) ?? []), ns]);
        phaseTimes.set(series.target, phases);
      }
      for (const figures of series.metrics) {
        const definition = METRIC_DEFINITIONS[figures.metric as MetricName];
        if (!definition || !figures.summary) continue;
        const key = JSON.stringify([figures.metric, series.target]);
        const n = figures.summary.n;
        const seen = rows.get(key);
        if (seen) {
          seen.nMin = Math.min(seen.nMin, n);
          seen.nMax = Math.max(seen.nMax, n);
          continue;
        }
        rows.set(key, {
          metric: figures.metric,
          target: series.target,
          common: definition.common,
          covers: definition.targets[series.target] ?? null,
          nMin: n,
          nMax: n,
          phases: [],
        });
      }
    }
  }
  const order = Object.keys(METRICS);
  return [...rows.values()]
    .map((row) => {
      if (!row.metric.startsWith('startup.')) return row;
      const phases = [...(phaseTimes.get(row.target) ?? new Map<string, number[]>())]
        .map(([phase, times]) => ({ phase, at: median(times) }))
        .sort((a, b) => a.at - b.at || a.phase.localeCompare(b.phase));
      return { ...row, phases: phases.map((p) => describePhase(p.phase)) };
    })
    .sort(
      (a, b) =>
        order.indexOf(a.metric) - order.indexOf(b.metric) ||
        TARGET_KINDS.indexOf(a.target) - TARGET_KINDS.indexOf(b.target),
    );
}
