// summary.csv (one row per series x metric) and samples.csv (one row per sample), in base units,
// for spreadsheets and scripts.

import { stringify } from 'csv-stringify/sync';
import type { MedianCi, RatioCi } from '../stats/index.js';
import type { Exporter } from './exporter.js';
import type { MetricFigures, ReportModel, RunInfo, SeriesView } from './model.js';

/**
 * Neutralises spreadsheet formulas in text from the run (hostnames, names): a cell starting with
 * = + - @ or a control character gets a leading apostrophe (OWASP CSV injection advice).
 */
export function guardCsvText(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** Sorted keys of every sweep point in the model, e.g. ["instances", "memory"]. */
function listParamKeys(report: ReportModel): string[] {
  const keys = new Set<string>();
  for (const group of report.groups) for (const key of Object.keys(group.point)) keys.add(key);
  return [...keys].sort();
}

function paramCells(series: SeriesView, keys: readonly string[]): string[] {
  return keys.map((key) => (series.point[key] === undefined ? '' : guardCsvText(String(series.point[key]))));
}

/** Number cells unrounded in base units; an absent value is an empty cell. */
function numberCell(value: number | null | undefined): string | number {
  return value === null || value === undefined ? '' : value;
}

/** Header cells naming a series x metric row, up to its unit: run, host, ..., param_*, ..., unit. */
function seriesHeader(keys: readonly string[]): string[] {
  return [
    ...['run', 'host', 'commit', 'scenario', 'case'],
    ...keys.map((key) => `param_${key}`),
    ...['target', 'accel', 'metric', 'unit'],
  ];
}

/** The cells under seriesHeader() for one metric of one series. */
function seriesCells(run: RunInfo, series: SeriesView, keys: readonly string[], figures: MetricFigures): string[] {
  return [
    ...[guardCsvText(run.runId), guardCsvText(run.hostname), run.commit ?? '', series.scenario, series.case],
    ...paramCells(series, keys),
    ...[series.target, series.accel ?? '', figures.metric, figures.unit],
  ];
}

function allSeries(report: ReportModel): SeriesView[] {
  return report.groups.flatMap((group) => group.series);
}

/** state, low, high, coverage of a CI; low/high/coverage empty when it has none (state says why). */
function intervalCells(ci: MedianCi | RatioCi | undefined): Array<string | number> {
  if (!ci) return ['', '', '', ''];
  if (ci.state !== 'interval') return [ci.state, '', '', ''];
  return [ci.state, ci.low, ci.high, ci.coverage];
}

/** Renders summary.csv. */
export function renderSummaryCsv(report: ReportModel): string {
  const keys = listParamKeys(report);
  const header = [
    ...seriesHeader(keys),
    ...['n', 'median', 'mean', 'p95', 'min', 'max', 'stddev'],
    ...['ci_state', 'ci_low', 'ci_high', 'ci_coverage'],
    ...['ratio_to_native', 'ratio_ci_state', 'ratio_ci_low', 'ratio_ci_high', 'ratio_ci_coverage'],
  ];
  const rows: Array<Array<string | number>> = [header];
  for (const series of allSeries(report)) {
    const run = report.runs[series.runIndex]!;
    for (const figures of series.metrics) {
      const s = figures.summary;
      const ratio = figures.ratioToNative;
      rows.push([
        ...seriesCells(run, series, keys, figures),
        s?.n ?? 0,
        ...[s?.median, s?.mean, s?.p95, s?.min, s?.max, s?.stddev].map(numberCell),
        ...intervalCells(s?.ci),
        numberCell(ratio?.ratio),
        ...intervalCells(ratio?.ci),
      ]);
    }
  }
  return stringify(rows);
}

/** Renders samples.csv. */
export function renderSamplesCsv(report: ReportModel): string {
  const keys = listParamKeys(report);
  const header = [...seriesHeader(keys), 'iteration', 'value'];
  const rows: Array<Array<string | number>> = [header];
  for (const series of allSeries(report)) {
    const run = report.runs[series.runIndex]!;
    for (const figures of series.metrics) {
      figures.samples.forEach((value, k) => {
        rows.push([...seriesCells(run, series, keys, figures), figures.sampleIterations[k]!, value]);
      });
    }
  }
  return stringify(rows);
}

export const summaryCsvExporter: Exporter = {
  fileName: 'summary.csv',
  render: async (report) => renderSummaryCsv(report),
};

export const samplesCsvExporter: Exporter = {
  fileName: 'samples.csv',
  render: async (report) => renderSamplesCsv(report),
};
