// summary.csv (one row per series x metric, and one per series without figures) and samples.csv
// (one row per sample, and one per failed iteration), in base units, for spreadsheets and scripts.
// NOTE: both headers are the same for every run (sweep parameters have fixed columns), so the
// files of many runs concatenate and load into one table.

import { stringify } from 'csv-stringify/sync';
import type { SweepKey } from '../scenario/schema.js';
import type { MedianCi, RatioCi } from '../stats/index.js';
import type { Exporter } from './exporter.js';
import type { MetricFigures, ReportModel, RunInfo, SeriesView } from './model.js';

/** The column of each sweep parameter; a Record, so a new sweep key cannot be left without one. */
const SWEEP_COLUMNS: Record<SweepKey, string> = {
  instances: 'instances',
  memory: 'memory_bytes',
  cpus: 'cpus',
  param: 'param',
};

type Cell = string | number;

/**
 * Neutralises spreadsheet formulas in text from the run (hostnames, names): a cell starting with
 * = + - @ or a control character gets a leading apostrophe (OWASP CSV injection advice).
 */
export function guardCsvText(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/**
 * A number as CSV text without binary floating-point noise: integers exactly, others to 12
 * significant digits (7917460.399999999 -> 7917460.4), far finer than any figure isobench measures.
 */
export function formatCsvNumber(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(12)));
}

/** A number cell; absent values are empty. */
function numberCell(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : formatCsvNumber(value);
}

/** Cells naming a series (run, place, sweep point, target): the start of every row of both files. */
const SERIES_HEADER = [
  ...['timestamp', 'run', 'host', 'commit', 'scenario', 'case', 'measure'],
  ...Object.values(SWEEP_COLUMNS),
  ...['point', 'target', 'accel'],
];

function seriesCells(run: RunInfo, series: SeriesView): Cell[] {
  const sweep = (Object.keys(SWEEP_COLUMNS) as SweepKey[]).map((key) => {
    const value = series.point[key];
    return value === undefined ? '' : typeof value === 'number' ? formatCsvNumber(value) : guardCsvText(value);
  });
  return [
    ...[run.startedAt, guardCsvText(run.runId), guardCsvText(run.hostname), run.commit ?? ''],
    ...[guardCsvText(series.scenario), guardCsvText(series.case), series.measure],
    ...sweep,
    ...[guardCsvText(series.pointKey), series.target, series.accel ?? ''],
  ];
}

function allSeries(report: ReportModel): SeriesView[] {
  return report.groups.flatMap((group) => group.series);
}

/** state, low, high, coverage of a CI; low/high/coverage empty when it has none (state says why). */
function intervalCells(ci: MedianCi | RatioCi | undefined): Cell[] {
  if (!ci) return ['', '', '', ''];
  if (ci.state !== 'interval') return [ci.state, '', '', ''];
  return [ci.state, numberCell(ci.low), numberCell(ci.high), numberCell(ci.coverage)];
}

const SUMMARY_HEADER = [
  ...SERIES_HEADER,
  ...['status', 'recorded', 'failed', 'metric', 'unit', 'n', 'median', 'mean', 'p95', 'min', 'max', 'stddev'],
  ...['ci_state', 'ci_low', 'ci_high', 'ci_coverage'],
  ...['ratio_to_native', 'ratio_ci_state', 'ratio_ci_low', 'ratio_ci_high', 'ratio_ci_coverage', 'reason'],
];

function summaryCells(figures: MetricFigures): Cell[] {
  const s = figures.summary;
  const ratio = figures.ratioToNative;
  return [
    figures.metric,
    figures.unit,
    s?.n ?? 0,
    ...[s?.median, s?.mean, s?.p95, s?.min, s?.max, s?.stddev].map(numberCell),
    ...intervalCells(s?.ci),
    numberCell(ratio?.ratio),
    ...intervalCells(ratio?.ci),
  ];
}

/**
 * Renders summary.csv: a row per series x metric; a series with no metric (skipped, or every
 * iteration failed) still gets one row, with its status and reason and the figures empty.
 */
export function renderSummaryCsv(report: ReportModel): string {
  const rows: Cell[][] = [SUMMARY_HEADER];
  for (const series of allSeries(report)) {
    const head = [
      ...seriesCells(report.runs[series.runIndex]!, series),
      series.status,
      series.recordedIterations,
      series.failures.length,
    ];
    const reason = guardCsvText(series.reason ?? '');
    if (series.metrics.length === 0) {
      rows.push([...head, ...new Array<Cell>(SUMMARY_HEADER.length - head.length - 1).fill(''), reason]);
      continue;
    }
    for (const figures of series.metrics) rows.push([...head, ...summaryCells(figures), reason]);
  }
  return stringify(rows);
}

const SAMPLES_HEADER = [...SERIES_HEADER, 'iteration', 'status', 'metric', 'unit', 'value', 'error'];

/**
 * Renders samples.csv: a row per recorded sample (status ok), and a row per failed iteration
 * (status failed, no metric, its error), in iteration order, metrics in vocabulary order.
 */
export function renderSamplesCsv(report: ReportModel): string {
  const rows: Cell[][] = [SAMPLES_HEADER];
  for (const series of allSeries(report)) {
    const head = seriesCells(report.runs[series.runIndex]!, series);
    const lines: Array<{ iteration: number; order: number; cells: Cell[] }> = [];
    series.metrics.forEach((figures, order) => {
      figures.samples.forEach((value, k) => {
        const iteration = figures.sampleIterations[k]!;
        lines.push({ iteration, order, cells: [iteration, 'ok', figures.metric, figures.unit, numberCell(value), ''] });
      });
    });
    for (const failure of series.failures) {
      lines.push({
        iteration: failure.index,
        order: -1,
        cells: [failure.index, 'failed', '', '', '', guardCsvText(failure.error)],
      });
    }
    lines.sort((a, b) => a.iteration - b.iteration || a.order - b.order);
    for (const line of lines) rows.push([...head, ...line.cells]);
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
