// Chart definitions built from the report model: plain, JSON-serialisable Chart.js configurations
// (values already scaled to display units) that the PNG/SVG renderer and report.html both draw.
// A chart whose data the runs lack is not produced at all.

import type { MedianCi, RatioCi } from '../stats/index.js';
import { type Accel, TARGET_KINDS, type TargetKind } from '../vocabulary.js';
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
export function describeAccels(series: readonly SeriesView[]): string {
  const vms = series.filter((s) => s.target === 'vm');
  if (vms.length === 0) return '';
  const accels = [...new Set(vms.map((s) => (s.accel ? s.accel.toUpperCase() : 'accel unknown')))].sort();
  return `vm under ${accels.join(' and ')}`;
}

function titled(base: string, series: readonly SeriesView[]): string {
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
const byCase = (group: SeriesGroup) => JSON.stringify([group.scenario, group.case]);

function targetKey(series: SeriesView): string {
  return `${series.target}|${series.accel ?? ''}|${series.variant ?? ''}`;
}

type TargetEntry = { key: string; target: TargetKind; accel: Accel | null; variant: string | null };

/** Distinct (target, accel, kernel variant) of the series, in TARGET_KINDS order then accel. */
function listTargets(series: readonly SeriesView[]): TargetEntry[] {
  const seen = new Map<string, TargetEntry>();
  for (const s of series)
    seen.set(targetKey(s), { key: targetKey(s), target: s.target, accel: s.accel, variant: s.variant });
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

/**
 * Bars of one figure per target (a dataset each, coloured by target) over categories (usually
 * runs), with CI whiskers. Null when no bar has a value.
 */
function buildBarChart(options: {
  name: string;
  title: string;
  subtitle: string;
  unit: string;
  xTitle: string;
  categories: string[];
  series: SeriesView[];
  /** Category index of a series, or -1 to leave it out. */
  categoryOf: (series: SeriesView) => number;
  valueOf: (series: SeriesView) => BarValue | null;
  yTitle?: string;
}): ChartSpec | null {
  const values = options.series
    .map((series) => ({ series, category: options.categoryOf(series), bar: options.valueOf(series) }))
    .filter((entry) => entry.category >= 0 && entry.bar !== null);
  if (values.length === 0) return null;
  const scale: DisplayScale = chooseScale(options.unit, Math.max(...values.map((entry) => entry.bar!.value)));
  const present = listTargets(values.map((entry) => entry.series));
  const datasets: ChartDataset[] = present.map(({ key, target, accel, variant }) => {
    const data = new Array<number | null>(options.categories.length).fill(null);
    const ciLow = new Array<number | null>(options.categories.length).fill(null);
    const ciHigh = new Array<number | null>(options.categories.length).fill(null);
    for (const entry of values) {
      if (targetKey(entry.series) !== key) continue;
      data[entry.category] = entry.bar!.value / scale.divisor;
      ciLow[entry.category] = entry.bar!.low === null ? null : entry.bar!.low / scale.divisor;
      ciHigh[entry.category] = entry.bar!.high === null ? null : entry.bar!.high / scale.divisor;
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
  const title = titled(
    options.title,
    values.map((entry) => entry.series),
  );
  const bars = values.map((entry) => entry.bar!.value).filter((value) => value > 0);
  // A VM can take 1000x a native start: on a linear axis the small bars vanish, so go logarithmic.
  const logarithmic = bars.length > 1 && Math.max(...bars) / Math.min(...bars) > LOG_SCALE_SPREAD;
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
        { x: options.xTitle, y: logarithmic ? `${yTitle}, log scale` : yTitle },
        logarithmic ? { scales: { y: { type: 'logarithmic', beginAtZero: false } } } : {},
      ),
    },
  };
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
      xTitle: 'run (host · commit · date)',
      categories: runLabels,
      series,
      categoryOf: (s) => s.runIndex,
      valueOf: medianBar(metric),
    });
    return chart ? [chart] : [];
  });
}

function firstMetric(...candidates: string[]) {
  return (series: SeriesView[]): string | null =>
    candidates.find((metric) => series.some((s) => metricOf(s, metric))) ?? null;
}

function buildStartupCharts(report: ReportModel): ChartSpec[] {
  return buildMetricBars(report, 'startup', 'startup', firstMetric('startup.ready', 'startup.exit'), (metric, g) => ({
    title: `Startup time, ${g.scenario}/${g.case}${pointSuffix(g)}`,
    subtitle: `${metric === 'startup.ready' ? 'launch to the ready marker' : 'launch to exit'}: median and 95% CI, lower is better`,
  }));
}

function buildMemoryCharts(report: ReportModel): ChartSpec[] {
  return buildMetricBars(report, 'memory', 'memory', firstMetric('memory.pss', 'memory.rss'), (metric, g) => ({
    title: `Memory per instance, ${g.scenario}/${g.case}${pointSuffix(g)}`,
    subtitle: `${metric === 'memory.pss' ? 'PSS' : 'RSS'} of the instance processes: median and 95% CI, lower is better`,
  }));
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
    label: phase,
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
        'median time of each phase after the previous one (named by the mark that ends it); bar length = median time to the last mark',
        { x: 'target', y: describeAxis('ns', scale) },
        { scales: { x: { stacked: true }, y: { stacked: true } } },
      ),
    },
  };
}

/** Memory per instance against the instances sweep: a line per (run, target). */
function buildDensityCharts(report: ReportModel): ChartSpec[] {
  return bucket(
    report.groups.filter((group) => group.measure === 'density' && typeof group.point.instances === 'number'),
    byCase,
  ).flatMap((groups) => {
    const series = withSeries(groups);
    const metric = firstMetric('memory.per_instance', 'memory.pss')(series);
    if (!metric) return [];
    const lines = new Map<string, { series: SeriesView; points: Array<{ x: number; y: number }> }>();
    for (const s of series) {
      const summary = metricOf(s, metric)?.summary;
      if (!summary) continue;
      const key = `${s.runIndex}|${targetKey(s)}`;
      if (!lines.has(key)) lines.set(key, { series: s, points: [] });
      lines.get(key)!.points.push({ x: s.point.instances as number, y: summary.median });
    }
    if (lines.size === 0) return [];
    const all = [...lines.values()].sort(
      (a, b) =>
        a.series.runIndex - b.series.runIndex ||
        TARGET_KINDS.indexOf(a.series.target) - TARGET_KINDS.indexOf(b.series.target),
    );
    const scale = chooseScale('bytes', Math.max(...all.flatMap((line) => line.points.map((p) => p.y))));
    const first = groups[0]!;
    const what = metric === 'memory.per_instance' ? 'Memory per instance' : 'Memory (PSS) of all instances';
    const title = titled(`${what} vs instances, ${first.scenario}/${first.case}`, series);
    const datasets: ChartDataset[] = all.map(({ series: s, points }) => ({
      label: barLabel(s, report),
      data: points.sort((a, b) => a.x - b.x).map((p) => ({ x: p.x, y: p.y / scale.divisor })),
      ...targetLineStyle(s),
      pointRadius: 4,
    }));
    return [
      {
        name: slugify('density', first.scenario, first.case),
        title,
        whiskers: false,
        config: {
          type: 'line',
          data: { datasets },
          options: buildOptions(
            title,
            metric === 'memory.per_instance'
              ? 'host MemAvailable drop / instances, median; lower is better'
              : 'PSS of all instances, median; lower is better',
            { x: 'instances running at once', y: describeAxis('bytes', scale) },
            { scales: { x: { type: 'linear', ticks: { precision: 0 } } } },
          ),
        },
      },
    ];
  });
}

/** Shared image bytes and per-instance bytes, stacked per target. */
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
    const totals = series.map((s) => (median(s, 'disk.image') ?? 0) + (median(s, 'disk.instance') ?? 0));
    const scale = chooseScale('bytes', Math.max(...totals));
    const first = groups[0]!;
    const title = titled(`Disk footprint, ${first.scenario}/${first.case}${pointSuffix(first)}`, series);
    const component = (metric: string, label: string, colour: string): ChartDataset => ({
      label,
      data: series.map((s) => {
        const value = median(s, metric);
        return value === null ? null : value / scale.divisor;
      }),
      backgroundColor: colour,
      borderColor: colour,
      stack: 'disk',
    });
    return [
      {
        name: slugify('disk', first.scenario, first.case, first.pointKey),
        title,
        whiskers: false,
        config: {
          type: 'bar',
          data: {
            labels: series.map((s) => barLabel(s, report)),
            datasets: [
              component('disk.image', 'image (shared by all instances)', INK_COLOUR),
              component('disk.instance', 'per instance', COMPONENT_COLOURS[3]!),
            ],
          },
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
    // Each (series, metric) is its own bar: wrap so buildBarChart sees one value per entry.
    const views = entries.map((entry) => ({ ...entry.series, metrics: [metricOf(entry.series, entry.metric)!] }));
    const chart = buildBarChart({
      name: slugify('io', groups[0]!.scenario),
      title: `I/O throughput, ${groups[0]!.scenario}`,
      subtitle: 'median and 95% CI; higher is better',
      unit: 'bytes_per_s',
      xTitle: 'case: access pattern',
      categories,
      series: views,
      categoryOf: (s) => entries[views.indexOf(s)]!.category,
      valueOf: (s) => medianBar(s.metrics[0]!.metric)(s),
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
      xTitle: 'run (host · commit · date)',
      categories: report.runs.map((run) => run.label),
      series,
      categoryOf: (s) => s.runIndex,
      valueOf: (s) => {
        if (s.target === 'native') return metricOf(s, 'cpu.time') ? { value: 1, low: null, high: null } : null;
        const ratio = metricOf(s, 'cpu.time')?.ratioToNative;
        if (ratio) return { value: ratio.ratio, ...whiskerEnds(ratio.ci) };
        const recorded = metricOf(s, 'cpu.relative_to_native')?.summary;
        return recorded ? { value: recorded.median, ...whiskerEnds(recorded.ci) } : null;
      },
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
    ...buildMemoryCharts(report),
    ...buildDensityCharts(report),
    ...buildTimelineCharts(report),
    ...buildDiskCharts(report),
    ...buildIoCharts(report),
    ...buildCpuCharts(report),
  ]);
}
