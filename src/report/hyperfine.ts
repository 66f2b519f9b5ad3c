// startup-hyperfine.json: the start-up figures in the JSON layout hyperfine's --export-json writes
// ({"results": [{command, mean, stddev, median, min, max, times, exit_codes, parameters}]}, in
// seconds), so tools written for hyperfine (its scripts/ plots, CI dashboards) read isobench runs.
// The metric is startup.exit: launch to the exit status known, the span hyperfine times for a
// command. hyperfine's user and system CPU times are left out: isobench does not measure them.

import type { Exporter } from './exporter.js';
import type { ReportModel, SeriesView } from './model.js';

/** The metric exported: hyperfine times a command from spawn to exit. */
export const HYPERFINE_METRIC = 'startup.exit';

/** One result as hyperfine writes it; times in seconds. */
export interface HyperfineResult {
  /** What ran: target, scenario/case (and run, in a report of several runs). */
  command: string;
  mean: number;
  /** Sample standard deviation; null with one sample, as hyperfine writes it. */
  stddev: number | null;
  median: number;
  min: number;
  max: number;
  /** Every recorded time, in iteration order. */
  times: number[];
  /** One per time: 0, as only iterations whose workload succeeded carry a time. */
  exit_codes: number[];
  /** The sweep point, values as strings (hyperfine's --parameter-* values); absent without a sweep. */
  parameters?: Record<string, string>;
}

/** ns -> s without binary noise (12 significant digits is far below the timer's resolution). */
function seconds(ns: number): number {
  return Number((ns / 1e9).toPrecision(12));
}

function describeCommand(report: ReportModel, series: SeriesView): string {
  const run = report.runs.length > 1 ? ` [${report.runs[series.runIndex]!.label}]` : '';
  return `${series.targetLabel}: ${series.scenario}/${series.case}${series.pointLabel ? ` (${series.pointLabel})` : ''}${run}`;
}

/** The hyperfine results of every series with startup.exit samples, in report order. */
export function buildHyperfineResults(report: ReportModel): HyperfineResult[] {
  return report.groups.flatMap((group) =>
    group.series.flatMap((series): HyperfineResult[] => {
      const figures = series.metrics.find((m) => m.metric === HYPERFINE_METRIC);
      const summary = figures?.summary;
      if (!figures || !summary) return [];
      const result: HyperfineResult = {
        command: describeCommand(report, series),
        mean: seconds(summary.mean),
        stddev: summary.n > 1 ? seconds(summary.stddev) : null,
        median: seconds(summary.median),
        min: seconds(summary.min),
        max: seconds(summary.max),
        times: figures.samples.map(seconds),
        exit_codes: figures.samples.map(() => 0),
      };
      const point = Object.entries(series.point);
      if (point.length > 0) result.parameters = Object.fromEntries(point.map(([key, value]) => [key, String(value)]));
      return [result];
    }),
  );
}

export const hyperfineExporter: Exporter = {
  fileName: 'startup-hyperfine.json',
  render: async (report) => `${JSON.stringify({ results: buildHyperfineResults(report) }, null, 2)}\n`,
};
