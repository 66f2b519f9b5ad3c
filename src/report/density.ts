// Density as a slope: for each target, the marginal host memory of one more instance, fitted over
// every recorded iteration at every instance count N (stats fitLine), for memory.host_pinned and
// each /proc/meminfo component of it. Read with readCostSlope, so no slope is ever shown as a
// negative cost nor as a cost its noise does not support.

import { fitLine, type LineFit, type MedianCi, readCostSlope, type SlopeReading, summarize } from '../stats/index.js';
import { type Accel, type MetricName, TARGET_KINDS, type TargetKind } from '../vocabulary.js';
import type { SeriesGroup, SeriesView } from './model.js';

/** The metric whose slope is the marginal cost of one instance. */
export const DENSITY_METRIC = 'memory.host_pinned' satisfies MetricName;

/** The parts of memory.host_pinned, each fitted on its own, in the order a report lists them. */
export const DENSITY_COMPONENTS = [
  { metric: 'memory.host_anon', label: 'AnonPages' },
  { metric: 'memory.host_shmem', label: 'Shmem' },
  { metric: 'memory.host_slab_unreclaimable', label: 'SUnreclaim' },
  { metric: 'memory.host_kernel_stack', label: 'KernelStack' },
  { metric: 'memory.host_page_tables', label: 'PageTables' },
  { metric: 'memory.host_percpu', label: 'Percpu' },
] as const satisfies ReadonlyArray<{ metric: MetricName; label: string }>;

/** One N of a sweep: the iterations' values, their median and its CI (the chart's point and bar). */
export interface DensityPoint {
  instances: number;
  /** Recorded values in bytes, in iteration order. */
  values: number[];
  median: number;
  ci: MedianCi;
}

/** A line fitted to one metric against N, or why there is none. */
export interface SlopeFigure {
  metric: string;
  /** Every (N, bytes) pair the line was fitted to. */
  n: number;
  /** Null when no line could be fitted (see `reason`). */
  fit: LineFit | null;
  /** How the slope reads (a cost, below the noise floor, ...); null with `fit`. */
  reading: SlopeReading | null;
  /** Why there is no fit, e.g. "measured at one N only (N = 4)"; null when there is one. */
  reason: string | null;
}

/** The density of one target in one (run, scenario, case): points, the total's slope, each component's. */
export interface DensityFit {
  runIndex: number;
  scenario: string;
  case: string;
  target: TargetKind;
  accel: Accel | null;
  targetLabel: string;
  metric: typeof DENSITY_METRIC;
  /** One entry per measured N, ascending. */
  points: DensityPoint[];
  total: SlopeFigure;
  /** The components the run recorded, in DENSITY_COMPONENTS order, each with its label. */
  components: Array<SlopeFigure & { label: string }>;
}

/** Every (N, value) of `metric` over the series of one target, N from the sweep point. */
function collectPairs(series: readonly SeriesView[], metric: string): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const view of series) {
    const samples = view.metrics.find((m) => m.metric === metric)?.samples ?? [];
    for (const value of samples) {
      xs.push(view.point.instances as number);
      ys.push(value);
    }
  }
  return { xs, ys };
}

/** Fits `metric` against N over the series of one target; a reason instead when no line exists. */
export function fitSlope(series: readonly SeriesView[], metric: string, level: number): SlopeFigure {
  const { xs, ys } = collectPairs(series, metric);
  const distinct = [...new Set(xs)].sort((a, b) => a - b);
  if (xs.length === 0) return { metric, n: 0, fit: null, reading: null, reason: 'no successful iteration' };
  if (distinct.length < 2) {
    return {
      metric,
      n: xs.length,
      fit: null,
      reading: null,
      reason: `measured at one instance count only (N = ${distinct[0]}): a slope needs two or more`,
    };
  }
  const fit = fitLine(xs, ys, level);
  return { metric, n: xs.length, fit, reading: readCostSlope(fit), reason: null };
}

function densityPoints(series: readonly SeriesView[]): DensityPoint[] {
  return series
    .map((view) => {
      const values = view.metrics.find((m) => m.metric === DENSITY_METRIC)?.samples ?? [];
      if (values.length === 0) return null;
      const summary = summarize(values);
      return { instances: view.point.instances as number, values: [...values], median: summary.median, ci: summary.ci };
    })
    .filter((point): point is DensityPoint => point !== null)
    .sort((a, b) => a.instances - b.instances);
}

/**
 * The density fits of every (run, scenario, case, target) whose density series carry a numeric
 * `instances` sweep and memory.host_pinned; targets in TARGET_KINDS order.
 * @param level - level of every slope CI, e.g. 0.95.
 */
export function computeDensityFits(groups: readonly SeriesGroup[], level: number): DensityFit[] {
  const byTarget = new Map<string, SeriesView[]>();
  for (const group of groups) {
    if (group.measure !== 'density' || typeof group.point.instances !== 'number') continue;
    for (const view of group.series) {
      if (!view.metrics.some((m) => m.metric === DENSITY_METRIC && m.samples.length > 0)) continue;
      const key = JSON.stringify([view.runIndex, view.scenario, view.case, view.target, view.accel, view.variant]);
      if (!byTarget.has(key)) byTarget.set(key, []);
      byTarget.get(key)!.push(view);
    }
  }
  const fits = [...byTarget.values()].map((series): DensityFit => {
    const first = series[0]!;
    const recorded = new Set(series.flatMap((view) => view.metrics.map((m) => m.metric)));
    return {
      runIndex: first.runIndex,
      scenario: first.scenario,
      case: first.case,
      target: first.target,
      accel: first.accel,
      targetLabel: first.targetLabel,
      metric: DENSITY_METRIC,
      points: densityPoints(series),
      total: fitSlope(series, DENSITY_METRIC, level),
      components: DENSITY_COMPONENTS.filter((component) => recorded.has(component.metric)).map((component) => ({
        ...fitSlope(series, component.metric, level),
        label: component.label,
      })),
    };
  });
  return fits.sort(
    (a, b) =>
      a.runIndex - b.runIndex ||
      a.scenario.localeCompare(b.scenario) ||
      a.case.localeCompare(b.case) ||
      TARGET_KINDS.indexOf(a.target) - TARGET_KINDS.indexOf(b.target),
  );
}
