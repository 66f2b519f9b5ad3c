// Chart definitions built from the report model: plain, JSON-serialisable Chart.js configurations
// (values already scaled to display units) that the PNG/SVG renderer and report.html both draw.
// A chart whose data the runs lack is not produced at all.

import { describePhase } from '../metric-definitions.js';
import type { MedianCi, RatioCi } from '../stats/index.js';
import { type Accel, TARGET_KINDS, type TargetKind } from '../vocabulary.js';
import type { DensityFit } from './density.js';
import { formatTargetLabel, type MetricFigures, type ReportModel, type SeriesGroup, type SeriesView } from './model.js';
import { COMPONENT_COLOURS, INK_COLOUR, RUN_DASHES, TARGET_COLOURS } from './palette.js';
import { chooseScale, type DisplayScale, describeAxis } from './units.js';

/** Document size of every chart, in px. */
export const CHART_WIDTH = 900;
export const CHART_HEIGHT = 500;

export interface ChartDataset {
  label: string;
  data: Array<number | null> | Array<{ x: number; y: number }>;
  backgroundColor: string;
  borderColor: string;
  borderWidth?: number;
  borderDash?: number[];
  /** CI bounds of each bar, same scale as data (drawn by ci-whiskers.ts). */
  ciLow?: Array<number | null>;
  ciHigh?: Array<number | null>;
  skipNull?: boolean;
  /** Line charts: draw the line across missing points. */
  spanGaps?: boolean;
  stack?: string;
  fill?: boolean;
  pointRadius?: number;
  tension?: number;
  /** Line charts: false draws the points alone (measured values are never joined by a line). */
  showLine?: boolean;
  pointStyle?: string;
}

/** A Chart.js configuration without functions, so it survives JSON into report.html. */
export interface ChartConfig {
  type: 'bar' | 'line';
  data: { labels?: string[]; datasets: ChartDataset[] };
  options: Record<string, unknown>;
}

export interface ChartSpec {
  /** File stem under charts/, unique in a report, e.g. "startup-default-startup". */
  name: string;
  title: string;
  /** True when datasets carry ciLow/ciHigh for the whisker plugin. */
  whiskers: boolean;
  config: ChartConfig;
}

interface AxisTitles {
  x: string;
  y: string;
}

function buildOptions(title: string, subtitle: string, axes: AxisTitles, extra: Record<string, unknown> = {}) {
  const { scales: extraScales, ...rest } = extra as { scales?: Record<string, Record<string, unknown>> };
  return {
    responsive: false,
    animation: false,
    plugins: {
      title: { display: true, text: title, font: { size: 16 } },
      subtitle: { display: subtitle !== '', text: subtitle },
      legend: { display: true, position: 'top' },
    },
    scales: {
      x: { title: { display: true, text: axes.x }, ...(extraScales?.x ?? {}) },
      y: { beginAtZero: true, title: { display: true, text: axes.y }, ...(extraScales?.y ?? {}) },
    },
    ...rest,
  };
}

/** "vm under TCG", "vm under TCG and KVM"; "" when no vm figure is in the chart. */
export function describeAccels(series: ReadonlyArray<Pick<SeriesView, 'target' | 'accel'>>): string {
  const vms = series.filter((s) => s.target === 'vm');
  if (vms.length === 0) return '';
  const accels = [...new Set(vms.map((s) => (s.accel ? s.accel.toUpperCase() : 'accel unknown')))].sort();
  return `vm under ${accels.join(' and ')}`;
}

function titled(base: string, series: ReadonlyArray<Pick<SeriesView, 'target' | 'accel'>>): string {
  const accels = describeAccels(series);
  return accels ? `${base} (${accels})` : base;
}

/** A file-name-safe slug of names from the run (untrusted): [a-z0-9-], at most 60 characters. */
export function slugify(...parts: string[]): string {
  const slug = parts
    .filter((part) => part !== '')
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  return slug || 'chart';
}

function withSeries(groups: readonly SeriesGroup[]): SeriesView[] {
  return groups.flatMap((group) => group.series);
}

function metricOf(series: SeriesView, metric: string): MetricFigures | undefined {
  return series.metrics.find((m) => m.metric === metric && m.summary !== null);
}

/** Groups with the same scenario, case and point across runs, in first-seen order. */
function bucket(groups: readonly SeriesGroup[], keyOf: (group: SeriesGroup) => string): SeriesGroup[][] {
  const buckets = new Map<string, SeriesGroup[]>();
  for (const group of groups) {
    const key = keyOf(group);
    if (!buckets.has(key)) buckets.set(key, []);
    buckets.get(key)!.push(group);
  }
  return [...buckets.values()];
}

const byPoint = (group: SeriesGroup) => JSON.stringify([group.scenario, group.case, group.pointKey]);

type TargetOf = Pick<SeriesView, 'target' | 'accel'> & { variant?: string | null };

function targetKey(series: TargetOf): string {
  return `${series.target}|${series.accel ?? ''}|${series.variant ?? ''}`;
}

type TargetEntry = { key: string; target: TargetKind; accel: Accel | null; variant: string | null };

/** Distinct (target, accel, vm kernel variant) of the series, in TARGET_KINDS order then accel. */
function listTargets(series: readonly TargetOf[]): TargetEntry[] {
  const seen = new Map<string, TargetEntry>();
  for (const s of series)
    seen.set(targetKey(s), { key: targetKey(s), target: s.target, accel: s.accel, variant: s.variant ?? null });
  return [...seen.values()].sort(
    (a, b) =>
      TARGET_KINDS.indexOf(a.target) - TARGET_KINDS.indexOf(b.target) || (a.accel ?? '').localeCompare(b.accel ?? ''),
  );
}

/** Largest/smallest bar above which a bar chart's value axis is logarithmic. */
const LOG_SCALE_SPREAD = 30;

interface BarValue {
  value: number;
  low: number | null;
  high: number | null;
}

/** One bar: a target's value (with its CI) in one category. */
export interface BarEntry {
  target: TargetKind;
  accel: Accel | null;
  /** vm: the kernel variant, when recorded (a bar of its own per variant). */
  variant?: string | null;
  /** Index into the chart's categories. */
  category: number;
  bar: BarValue;
}

/**
 * The value axis of a bar chart, in display units. Logarithmic when the bars span more than
 * LOG_SCALE_SPREAD; then it starts a decade boundary below half the smallest bar or whisker end,
 * so the smallest bar keeps a visible height (a log axis starting at the smallest value draws it
 * with none). Either way it reaches the highest whisker, so no CI runs off the plot.
 */
export function chooseValueAxis(bars: readonly BarValue[]): { logarithmic: boolean; options: Record<string, unknown> } {
  const values = bars.map((bar) => bar.value).filter((value) => value > 0);
  const highs = bars.flatMap((bar) => (bar.high !== null && Number.isFinite(bar.high) ? [bar.high] : []));
  const top = Math.max(...values, ...highs);
  const suggestedMax = Number.isFinite(top) ? { suggestedMax: top } : {};
  const logarithmic = values.length > 1 && Math.max(...values) / Math.min(...values) > LOG_SCALE_SPREAD;
  if (!logarithmic) return { logarithmic, options: { beginAtZero: true, ...suggestedMax } };
  const lows = bars.flatMap((bar) => (bar.low !== null && bar.low > 0 ? [bar.low] : []));
  const smallest = Math.min(...values, ...lows);
  const min = 10 ** Math.floor(Math.log10(smallest / 2));
  return { logarithmic, options: { type: 'logarithmic', beginAtZero: false, min, ...suggestedMax } };
}

/**
 * Bars of one figure per target (a dataset each, coloured by target) over categories (usually
 * runs), with CI whiskers. Null when there is no bar.
 */
function buildBarChart(options: {
  name: string;
  title: string;
  subtitle: string;
  unit: string;
  xTitle: string;
  categories: string[];
  entries: BarEntry[];
  yTitle?: string;
}): ChartSpec | null {
  const entries = options.entries;
  if (entries.length === 0) return null;
  const positive = entries.map((entry) => entry.bar.value).filter((value) => value > 0);
  const spread = positive.length > 1 ? Math.max(...positive) / Math.min(...positive) : 1;
  // On a log axis the ticks read best in the smallest bar's unit (1, 10, 1000 ms, not 0.001 s).
  const scale: DisplayScale = chooseScale(
    options.unit,
    spread > LOG_SCALE_SPREAD ? Math.min(...positive) : Math.max(...entries.map((entry) => entry.bar.value)),
  );
  const scaled = (value: number | null) => (value === null ? null : value / scale.divisor);
  const datasets: ChartDataset[] = listTargets(entries).map(({ key, target, accel, variant }) => {
    const data = new Array<number | null>(options.categories.length).fill(null);
    const ciLow = new Array<number | null>(options.categories.length).fill(null);
    const ciHigh = new Array<number | null>(options.categories.length).fill(null);
    for (const entry of entries) {
      if (targetKey(entry) !== key) continue;
      data[entry.category] = scaled(entry.bar.value);
      ciLow[entry.category] = scaled(entry.bar.low);
      ciHigh[entry.category] = scaled(entry.bar.high);
    }
    return {
      label: formatTargetLabel(target, accel, variant),
      data,
      backgroundColor: TARGET_COLOURS[target],
      borderColor: TARGET_COLOURS[target],
      ciLow,
      ciHigh,
      skipNull: true,
    };
  });
  const title = titled(options.title, entries);
  const axis = chooseValueAxis(
    entries.map((entry) => ({
      value: scaled(entry.bar.value)!,
      low: scaled(entry.bar.low),
      high: scaled(entry.bar.high),
    })),
  );
  const yTitle = options.yTitle ?? describeAxis(options.unit, scale);
  return {
    name: options.name,
    title,
    whiskers: true,
    config: {
      type: 'bar',
      data: { labels: options.categories, datasets },
      options: buildOptions(
        title,
        options.subtitle,
        { x: options.xTitle, y: axis.logarithmic ? `${yTitle}, log scale` : yTitle },
        { scales: { y: axis.options } },
      ),
    },
  };
}

/** Bars of the series: category from `categoryOf` (-1 leaves a series out), value from `barOf`. */
function seriesBars(
  series: readonly SeriesView[],
  categoryOf: (series: SeriesView) => number,
  barOf: (series: SeriesView) => BarValue | null,
): BarEntry[] {
  return series.flatMap((view) => {
    const category = categoryOf(view);
    const bar = category >= 0 ? barOf(view) : null;
    return bar === null ? [] : [{ target: view.target, accel: view.accel, variant: view.variant, category, bar }];
  });
}

/** Whisker ends of a CI; none (null) when the CI has none, e.g. n too small. */
function whiskerEnds(ci: MedianCi | RatioCi): { low: number | null; high: number | null } {
  return ci.state === 'interval' ? { low: ci.low, high: ci.high } : { low: null, high: null };
}

function medianBar(metric: string) {
  return (series: SeriesView): BarValue | null => {
    const summary = metricOf(series, metric)?.summary;
    return summary ? { value: summary.median, ...whiskerEnds(summary.ci) } : null;
  };
}

function pointSuffix(group: SeriesGroup): string {
  return group.pointLabel ? `, ${group.pointLabel}` : '';
}

/** Bars per target of one metric, one category per run, for each (scenario, case, point) of a measure. */
function buildMetricBars(
  report: ReportModel,
  measure: SeriesGroup['measure'],
  prefix: string,
  pickMetric: (series: SeriesView[]) => string | null,
  describe: (metric: string, group: SeriesGroup) => { title: string; subtitle: string },
): ChartSpec[] {
  const runLabels = report.runs.map((run) => run.label);
  return bucket(
    report.groups.filter((group) => group.measure === measure),
    byPoint,
  ).flatMap((groups) => {
    const series = withSeries(groups);
    const metric = pickMetric(series);
    if (!metric) return [];
    const first = groups[0]!;
    const unit = metricOf(series.find((s) => metricOf(s, metric))!, metric)!.unit;
    const { title, subtitle } = describe(metric, first);
    const chart = buildBarChart({
      name: slugify(prefix, first.scenario, first.case, first.pointKey),
      title,
      subtitle,
      unit,
      xTitle: RUN_AXIS_TITLE,
      categories: runLabels,
      entries: seriesBars(series, (s) => s.runIndex, medianBar(metric)),
    });
    return chart ? [chart] : [];
  });
}

/** The x axis of charts with a category per run (labels as RunInfo.label). */
const RUN_AXIS_TITLE = 'run (date · host · commit)';

function firstMetric(...candidates: string[]) {
  return (series: SeriesView[]): string | null =>
    candidates.find((metric) => series.some((s) => metricOf(s, metric))) ?? null;
}

function buildStartupCharts(report: ReportModel): ChartSpec[] {
  return buildMetricBars(report, 'startup', 'startup', firstMetric('startup.ready', 'startup.exit'), (metric, g) => ({
    title: `Startup time, ${g.scenario}/${g.case}${pointSuffix(g)}`,
    subtitle: `${metric === 'startup.ready' ? 'launch to the ready line' : 'launch to the exit status'}: median and 95% CI, lower is better`,
  }));
}

function buildTeardownCharts(report: ReportModel): ChartSpec[] {
  return buildMetricBars(report, 'startup', 'teardown', firstMetric('teardown'), (_metric, g) => ({
    title: `Teardown time, ${g.scenario}/${g.case}${pointSuffix(g)}`,
    subtitle: 'exit status known to every resource released: median and 95% CI, lower is better',
  }));
}

function buildMemoryCharts(report: ReportModel): ChartSpec[] {
  const subtitles: Record<string, string> = {
    'memory.instance': 'anonymous + shmem PSS of the instance processes (shared file pages apart)',
    'memory.pss': 'PSS of the instance processes',
    'memory.rss': 'RSS of the instance processes',
  };
  return buildMetricBars(
    report,
    'memory',
    'memory',
    firstMetric('memory.instance', 'memory.pss', 'memory.rss'),
    (metric, g) => ({
      title: `Memory per instance, ${g.scenario}/${g.case}${pointSuffix(g)}`,
      subtitle: `${subtitles[metric]}: median and 95% CI, lower is better`,
    }),
  );
}

function barLabel(series: SeriesView, report: ReportModel): string {
  return report.runs.length > 1 ? `${series.targetLabel} · ${report.runs[series.runIndex]!.label}` : series.targetLabel;
}

/** A line of one series: the target's colour, dashed by run. */
function targetLineStyle(series: SeriesView) {
  return {
    backgroundColor: TARGET_COLOURS[series.target],
    borderColor: TARGET_COLOURS[series.target],
    borderDash: RUN_DASHES[series.runIndex % RUN_DASHES.length]!,
    fill: false,
  };
}

function sortByTarget(series: SeriesView[]): SeriesView[] {
  return [...series].sort(
    (a, b) => a.runIndex - b.runIndex || TARGET_KINDS.indexOf(a.target) - TARGET_KINDS.indexOf(b.target),
  );
}

/**
 * Stacked phase durations, one chart per target kind (a VM's seconds and a container's
 * milliseconds need their own axes, and each target has its own phases): phases are ns from
 * launch, so each bar part is the gap to the previous phase. Several runs give a bar each.
 */
function buildPhaseCharts(report: ReportModel): ChartSpec[] {
  return bucket(
    report.groups.filter((group) => group.measure === 'startup'),
    byPoint,
  ).flatMap((groups) => {
    const series = sortByTarget(withSeries(groups).filter((s) => s.phasesMedianNs !== null));
    const kinds = [...new Set(series.map((s) => s.target))];
    return kinds.map((kind) =>
      phaseChart(
        report,
        groups,
        series.filter((s) => s.target === kind),
      ),
    );
  });
}

function phaseChart(report: ReportModel, groups: SeriesGroup[], series: SeriesView[]): ChartSpec {
  const durations = series.map((s) => {
    const ordered = Object.entries(s.phasesMedianNs!).sort((a, b) => a[1] - b[1]);
    return new Map(ordered.map(([phase, ns], i) => [phase, ns - (i === 0 ? 0 : ordered[i - 1]![1])]));
  });
  // Phases in order of their typical time from launch.
  const phaseTimes = new Map<string, number[]>();
  for (const s of series) {
    for (const [phase, ns] of Object.entries(s.phasesMedianNs!)) {
      if (!phaseTimes.has(phase)) phaseTimes.set(phase, []);
      phaseTimes.get(phase)!.push(ns);
    }
  }
  const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const phases = [...phaseTimes.keys()].sort(
    (a, b) => mean(phaseTimes.get(a)!) - mean(phaseTimes.get(b)!) || a.localeCompare(b),
  );
  const longest = Math.max(...series.map((s) => Math.max(...Object.values(s.phasesMedianNs!))));
  const scale = chooseScale('ns', longest);
  const first = groups[0]!;
  const kind = series[0]!.target;
  const title = titled(`Startup phases of ${kind}, ${first.scenario}/${first.case}${pointSuffix(first)}`, series);
  const datasets: ChartDataset[] = phases.map((phase, i) => ({
    label: describePhase(phase),
    data: durations.map((d) => (d.has(phase) ? d.get(phase)! / scale.divisor : null)),
    backgroundColor: COMPONENT_COLOURS[i % COMPONENT_COLOURS.length]!,
    borderColor: '#FFFFFF',
    borderWidth: 1,
    stack: 'phases',
  }));
  return {
    name: slugify('startup-phases', kind, first.scenario, first.case, first.pointKey),
    title,
    whiskers: false,
    config: {
      type: 'bar',
      data: { labels: series.map((s) => barLabel(s, report)), datasets },
      options: buildOptions(
        title,
        'median time of each phase after the previous one; bar length = median time to the last mark',
        { x: 'target', y: describeAxis('ns', scale) },
        { scales: { x: { stacked: true }, y: { stacked: true } } },
      ),
    },
  };
}

/** Fits of the same scenario and case, across runs, in first-seen order. */
function bucketFits(fits: readonly DensityFit[]): DensityFit[][] {
  const buckets = new Map<string, DensityFit[]>();
  for (const fit of fits) {
    const key = JSON.stringify([fit.scenario, fit.case]);
    buckets.set(key, [...(buckets.get(key) ?? []), fit]);
  }
  return [...buckets.values()];
}

/** The marginal memory of one more instance per target: bars of the slopes that read as a cost, with their CI. */
function buildDensitySlopeCharts(report: ReportModel): ChartSpec[] {
  return bucketFits(report.density).flatMap((fits) => {
    const first = fits[0]!;
    const entries: BarEntry[] = fits.flatMap((fit) => {
      const reading = fit.total.reading;
      if (reading?.state !== 'cost') return [];
      return [
        {
          target: fit.target,
          accel: fit.accel,
          category: fit.runIndex,
          bar: { value: reading.slope, low: reading.low, high: reading.high },
        },
      ];
    });
    const hidden = fits.filter((fit) => fit.total.reading?.state !== 'cost').map((fit) => fit.targetLabel);
    const chart = buildBarChart({
      name: slugify('density-slope', first.scenario, first.case),
      title: `Host memory of one more instance, ${first.scenario}/${first.case}`,
      subtitle: `slope of memory.host_pinned over N, 95% CI; lower is better${hidden.length > 0 ? `; no bar (below the noise floor or no fit): ${[...new Set(hidden)].join(', ')}` : ''}`,
      unit: 'bytes',
      xTitle: RUN_AXIS_TITLE,
      categories: report.runs.map((run) => run.label),
      entries,
    });
    return chart ? [chart] : [];
  });
}

/**
 * Host memory pinned against N, one chart per target (a VM's hundreds of MiB would flatten a
 * container's hundreds of KiB): the median at each measured N with its CI, and the fitted line over
 * the measured range only. Measured points are never joined, so no line crosses an unmeasured N.
 */
function buildDensityCharts(report: ReportModel): ChartSpec[] {
  return bucketFits(report.density).flatMap((fits) => {
    const byTarget = new Map<string, DensityFit[]>();
    for (const fit of fits) byTarget.set(targetKey(fit), [...(byTarget.get(targetKey(fit)) ?? []), fit]);
    return [...byTarget.values()].map((same) => densityChart(report, same));
  });
}

function densityChart(report: ReportModel, fits: DensityFit[]): ChartSpec {
  const first = fits[0]!;
  const highs = fits.flatMap((fit) =>
    fit.points.flatMap((point) => [point.median, ...(point.ci.state === 'interval' ? [point.ci.high] : [])]),
  );
  const scale = chooseScale('bytes', Math.max(...highs));
  const multiRun = report.runs.length > 1;
  const datasets: ChartDataset[] = fits.flatMap((fit) => {
    const run = multiRun ? ` · ${report.runs[fit.runIndex]!.label}` : '';
    const colour = TARGET_COLOURS[fit.target];
    const dash = RUN_DASHES[fit.runIndex % RUN_DASHES.length]!;
    const points: ChartDataset = {
      label: `${fit.targetLabel}${run}: median at each N (95% CI)`,
      data: fit.points.map((point) => ({ x: point.instances, y: point.median / scale.divisor })),
      ciLow: fit.points.map((point) => (point.ci.state === 'interval' ? point.ci.low / scale.divisor : null)),
      ciHigh: fit.points.map((point) => (point.ci.state === 'interval' ? point.ci.high / scale.divisor : null)),
      backgroundColor: colour,
      borderColor: colour,
      showLine: false,
      pointRadius: 4,
    };
    const line = fit.total.fit;
    if (!line || fit.points.length < 2) return [points];
    const ends = [fit.points[0]!.instances, fit.points[fit.points.length - 1]!.instances];
    const fitted: ChartDataset = {
      label: `${fit.targetLabel}${run}: least-squares line`,
      data: ends.map((x) => ({ x, y: (line.intercept + line.slope * x) / scale.divisor })),
      backgroundColor: colour,
      borderColor: colour,
      borderDash: dash.length > 0 ? dash : [6, 3],
      borderWidth: 1.5,
      pointRadius: 0,
      fill: false,
      tension: 0,
    };
    return [points, fitted];
  });
  const title = titled(`Host memory pinned vs instances: ${first.targetLabel}, ${first.scenario}/${first.case}`, fits);
  const top = Math.max(...highs) / scale.divisor;
  return {
    name: slugify('density', first.scenario, first.case, first.target, first.accel ?? ''),
    title,
    whiskers: true,
    config: {
      type: 'line',
      data: { datasets },
      options: buildOptions(
        title,
        '',
        { x: 'instances running at once (N)', y: describeAxis('bytes', scale) },
        {
          scales: { x: { type: 'linear', ticks: { precision: 0 } }, y: { suggestedMax: top } },
          plugins: {
            title: { display: true, text: title, font: { size: 16 } },
            subtitle: {
              display: true,
              text: 'memory.host_pinned of all N instances; points: median and 95% CI at each measured N; dashed: the fitted line',
            },
            legend: { display: true, position: 'top', labels: { usePointStyle: true } },
          },
        },
      ),
    },
  };
}

/** Disk per target, stacked: the image (its own part, and a VM kernel every VM image shares) and one instance's writes. */
function buildDiskCharts(report: ReportModel): ChartSpec[] {
  return bucket(
    report.groups.filter((group) => group.measure === 'disk'),
    byPoint,
  ).flatMap((groups) => {
    const series = sortByTarget(
      withSeries(groups).filter((s) => metricOf(s, 'disk.image') || metricOf(s, 'disk.instance')),
    );
    if (series.length === 0) return [];
    const median = (s: SeriesView, metric: string) => metricOf(s, metric)?.summary?.median ?? null;
    // With disk.image_own the image splits into its own part and the shared kernel; else it is one part.
    const split = series.some((s) => median(s, 'disk.image_own') !== null);
    const own = (s: SeriesView) =>
      split ? (median(s, 'disk.image_own') ?? median(s, 'disk.image')) : median(s, 'disk.image');
    const kernel = (s: SeriesView) => {
      const whole = median(s, 'disk.image');
      const part = median(s, 'disk.image_own');
      return split && whole !== null && part !== null && whole > part ? whole - part : null;
    };
    const totals = series.map((s) => (median(s, 'disk.image') ?? 0) + (median(s, 'disk.instance') ?? 0));
    const scale = chooseScale('bytes', Math.max(...totals));
    const first = groups[0]!;
    const title = titled(`Disk footprint, ${first.scenario}/${first.case}${pointSuffix(first)}`, series);
    const component = (partOf: (s: SeriesView) => number | null, label: string, colour: string): ChartDataset => ({
      label,
      data: series.map((s) => {
        const value = partOf(s);
        return value === null ? null : value / scale.divisor;
      }),
      backgroundColor: colour,
      borderColor: colour,
      stack: 'disk',
    });
    const datasets = [
      component(
        own,
        split ? 'image, its own part (shared by its instances)' : 'image (shared by all instances)',
        INK_COLOUR,
      ),
      ...(series.some((s) => kernel(s) !== null)
        ? [component(kernel, 'VM kernel (shared by every VM image on the host)', COMPONENT_COLOURS[4]!)]
        : []),
      component((s) => median(s, 'disk.instance'), 'per instance', COMPONENT_COLOURS[3]!),
    ];
    return [
      {
        name: slugify('disk', first.scenario, first.case, first.pointKey),
        title,
        whiskers: false,
        config: {
          type: 'bar',
          data: { labels: series.map((s) => barLabel(s, report)), datasets },
          options: buildOptions(
            title,
            'median bytes on disk; lower is better',
            { x: 'target', y: describeAxis('bytes', scale) },
            { scales: { x: { stacked: true }, y: { stacked: true } } },
          ),
        },
      },
    ];
  });
}

const IO_METRICS = ['io.write_throughput', 'io.randwrite_throughput'] as const;

/** Write and random-write throughput per target, a category per (case, metric[, run]). */
function buildIoCharts(report: ReportModel): ChartSpec[] {
  return bucket(
    report.groups.filter((group) => group.measure === 'io'),
    (group) => group.scenario,
  ).flatMap((groups) => {
    const categories: string[] = [];
    const index = new Map<string, number>();
    const entries: Array<{ series: SeriesView; metric: string; category: number }> = [];
    for (const group of groups) {
      for (const s of group.series) {
        for (const metric of IO_METRICS) {
          if (!metricOf(s, metric)) continue;
          const name = metric === 'io.write_throughput' ? 'write' : 'randwrite';
          const run = report.runs.length > 1 ? ` · ${report.runs[s.runIndex]!.label}` : '';
          const category = `${group.case}${group.pointLabel ? ` (${group.pointLabel})` : ''}: ${name}${run}`;
          if (!index.has(category)) {
            index.set(category, categories.length);
            categories.push(category);
          }
          entries.push({ series: s, metric, category: index.get(category)! });
        }
      }
    }
    if (entries.length === 0) return [];
    const chart = buildBarChart({
      name: slugify('io', groups[0]!.scenario),
      title: `I/O throughput, ${groups[0]!.scenario}`,
      subtitle: 'median and 95% CI; higher is better',
      unit: 'bytes_per_s',
      xTitle: 'case: access pattern',
      categories,
      entries: entries.map((entry) => ({
        target: entry.series.target,
        accel: entry.series.accel,
        category: entry.category,
        bar: medianBar(entry.metric)(entry.series)!,
      })),
    });
    return chart ? [chart] : [];
  });
}

/** CPU time of each target over native at the same point, with the CI of the ratio. */
function buildCpuCharts(report: ReportModel): ChartSpec[] {
  return bucket(
    report.groups.filter((group) => group.measure === 'cpu'),
    byPoint,
  ).flatMap((groups) => {
    const series = withSeries(groups);
    const first = groups[0]!;
    const chart = buildBarChart({
      name: slugify('cpu', first.scenario, first.case, first.pointKey),
      title: `CPU time relative to native, ${first.scenario}/${first.case}${pointSuffix(first)}`,
      subtitle: 'median cpu.time over the native median, 95 % CI where n allows; 1× = native, lower is better',
      unit: 'ratio',
      yTitle: 'ratio to native (×)',
      xTitle: RUN_AXIS_TITLE,
      categories: report.runs.map((run) => run.label),
      entries: seriesBars(
        series,
        (s) => s.runIndex,
        (s) => {
          if (s.target === 'native') return metricOf(s, 'cpu.time') ? { value: 1, low: null, high: null } : null;
          const ratio = metricOf(s, 'cpu.time')?.ratioToNative;
          if (ratio) return { value: ratio.ratio, ...whiskerEnds(ratio.ci) };
          const recorded = metricOf(s, 'cpu.relative_to_native')?.summary;
          return recorded ? { value: recorded.median, ...whiskerEnds(recorded.ci) } : null;
        },
      ),
    });
    return chart ? [chart] : [];
  });
}

/** PSS against time since launch of the median iteration, a line per (run, target). */
function buildTimelineCharts(report: ReportModel): ChartSpec[] {
  return bucket(report.groups, byPoint).flatMap((groups) => {
    const series = sortByTarget(withSeries(groups).filter((s) => s.timeline !== null));
    if (series.length === 0) return [];
    const scale = chooseScale('bytes', Math.max(...series.flatMap((s) => s.timeline!.map((p) => p.pssBytes))));
    const first = groups[0]!;
    const title = titled(`Memory during start-up, ${first.scenario}/${first.case}${pointSuffix(first)}`, series);
    const datasets: ChartDataset[] = series.map((s) => ({
      label: barLabel(s, report),
      data: s.timeline!.map((p) => ({ x: p.tMs, y: p.pssBytes / scale.divisor })),
      ...targetLineStyle(s),
      pointRadius: 0,
    }));
    return [
      {
        name: slugify('memory-timeline', first.scenario, first.case, first.pointKey),
        title,
        whiskers: false,
        config: {
          type: 'line',
          data: { datasets },
          options: buildOptions(
            title,
            'PSS of the instance process tree, iteration with the median peak',
            { x: 'time since launch (ms)', y: describeAxis('bytes', scale) },
            { scales: { x: { type: 'linear' } } },
          ),
        },
      },
    ];
  });
}

/** Gives names that collide a numeric suffix, so every chart gets its own file. */
function dedupeNames(charts: ChartSpec[]): ChartSpec[] {
  const used = new Set<string>();
  return charts.map((chart) => {
    let name = chart.name;
    for (let n = 2; used.has(name); n++) name = `${chart.name}-${n}`;
    used.add(name);
    return name === chart.name ? chart : { ...chart, name };
  });
}

/** Every chart the model has data for, in report order. */
export function buildChartSpecs(report: ReportModel): ChartSpec[] {
  return dedupeNames([
    ...buildStartupCharts(report),
    ...buildPhaseCharts(report),
    ...buildTeardownCharts(report),
    ...buildMemoryCharts(report),
    ...buildDensitySlopeCharts(report),
    ...buildDensityCharts(report),
    ...buildTimelineCharts(report),
    ...buildDiskCharts(report),
    ...buildIoCharts(report),
    ...buildCpuCharts(report),
  ]);
}
