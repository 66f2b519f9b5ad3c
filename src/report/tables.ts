// The report's tables as plain text cells (formatted figures, no markup), shared by report.md and
// report.html so both show the same numbers. Cells hold untrusted text: renderers escape them.

import { formatLevel, type Summary } from '../stats/index.js';
import { TARGET_KINDS } from '../vocabulary.js';
import {
  ANSWER_RATIOS,
  type AnswerCell,
  type AnswerRow,
  type RatioFigure,
  type ReportModel,
  type RunInfo,
  type SeriesGroup,
} from './model.js';
import { formatInterval, formatRatio, formatValue } from './units.js';

/** A table: a header row and rows of the same width. */
export interface TextTable {
  header: string[];
  rows: string[][];
}

/** A titled detail table of one (scenario, case). */
export interface DetailTable extends TextTable {
  title: string;
}

function accelSuffix(accel: string | null, target: string): string {
  if (target !== 'vm') return '';
  return ` (${accel ? accel.toUpperCase() : 'accel unknown'})`;
}

function formatRatioCell(ratio: RatioFigure | undefined): string {
  if (!ratio) return '–';
  const accel = ratio.accel ? ` (${ratio.accel.toUpperCase()})` : '';
  const figure =
    ratio.ci.state === 'interval'
      ? formatRatio(ratio.ratio, ratio.ci)
      : `${formatRatio(ratio.ratio)} (${ratio.ci.reason})`;
  return figure + accel;
}

/**
 * What the figures are and how their intervals and outliers were computed, in words, for the
 * report's introduction to the answer (report.md and report.html print the same text).
 */
export function describeStatistics(report: ReportModel): string {
  const { confidence, medianCiMinN, outlierMinN, outlierZLimit } = report.stats;
  const level = formatLevel(confidence);
  return (
    `Median of each target, and ratios of medians with a ${level} CI in brackets. ` +
    `A median's CI lies between two order statistics whose exact binomial coverage is at least ${level} ` +
    `for any continuous distribution; it needs n ≥ ${medianCiMinN}. ` +
    "A ratio's CI is the Hodges–Lehmann interval of the exact Mann–Whitney test on log values, exponentiated: " +
    "distribution-free when one target's values are the other's times a constant; it needs, for example, " +
    '4 and 4 samples, or 3 and 5. ' +
    `Where n is too small the table says "n too small for a ${level} interval" instead of an interval. ` +
    `Outliers: a modified z-score (0.6745 times the distance to the median, over the MAD) above ${outlierZLimit}, ` +
    `checked only from n = ${outlierMinN}; counted, never removed. ` +
    'Time and memory: lower is better, so a ratio above 1× is a cost. Throughput: higher is better. ' +
    'Every VM figure says whether QEMU ran under KVM or TCG (software emulation, much slower).'
  );
}

function caseLabel(row: { scenario: string; case: string; pointLabel: string }): string {
  return `${row.scenario}/${row.case}${row.pointLabel ? ` (${row.pointLabel})` : ''}`;
}

function answerLines(row: AnswerRow): Array<{ figure: string; cell: (cell: AnswerCell) => string }> {
  const medians = row.targets.map((target) => ({
    figure: target === 'vm' ? 'vm median' : `${target} median`,
    cell: (cell: AnswerCell) => {
      const figure = cell.medians[target];
      return figure ? formatValue(row.unit, figure.median) + accelSuffix(figure.accel, target) : '–';
    },
  }));
  const ratios = ANSWER_RATIOS.filter((pair) => row.cells.some((cell) => cell?.ratios[pair.key])).map((pair) => ({
    figure: pair.key.replace('/', ' / '),
    cell: (cell: AnswerCell) => formatRatioCell(cell.ratios[pair.key]),
  }));
  return [...medians, ...ratios];
}

/**
 * The answer: a line per (metric, case, figure), a column per run. Figures are each target's
 * median and the container/native, vm/native and vm/container ratios with their 95% CI.
 */
export function buildAnswerTable(report: ReportModel): TextTable {
  const rows: string[][] = [];
  for (const row of report.answer) {
    for (const line of answerLines(row)) {
      rows.push([row.metric, caseLabel(row), line.figure, ...row.cells.map((cell) => (cell ? line.cell(cell) : '–'))]);
    }
  }
  return { header: ['metric', 'case', 'figure', ...report.runs.map((run) => run.label)], rows };
}

/** One table per (scenario, case): every series x metric with n, median, p95, min, max, CI, outliers, failures. */
export function buildDetailTables(report: ReportModel): DetailTable[] {
  const multiRun = report.runs.length > 1;
  const byCase = new Map<string, SeriesGroup[]>();
  for (const group of report.groups) {
    const key = JSON.stringify([group.scenario, group.case]);
    if (!byCase.has(key)) byCase.set(key, []);
    byCase.get(key)!.push(group);
  }
  return [...byCase.values()].map((groups) => {
    const hasPoints = groups.some((group) => group.pointLabel !== '');
    const header = [
      ...(multiRun ? ['run'] : []),
      ...(hasPoints ? ['point'] : []),
      ...['target', 'metric', 'n', 'median', 'p95', 'min', 'max', '95% CI of median', 'outliers', 'failed'],
    ];
    const rows: string[][] = [];
    for (const group of groups) {
      for (const series of group.series) {
        if (series.status === 'skipped') continue;
        const failed = `${series.failures.length}/${series.recordedIterations}`;
        for (const figures of series.metrics) {
          const s = figures.summary;
          const f = (value: number | undefined) => (value === undefined ? '–' : formatValue(figures.unit, value));
          rows.push([
            ...(multiRun ? [report.runs[group.runIndex]!.label] : []),
            ...(hasPoints ? [group.pointLabel] : []),
            series.targetLabel,
            figures.metric,
            String(s?.n ?? 0),
            f(s?.median),
            f(s?.p95),
            f(s?.min),
            f(s?.max),
            formatMedianCi(figures.unit, s),
            formatOutliers(s),
            failed,
          ]);
        }
      }
    }
    return { title: `${groups[0]!.scenario} / ${groups[0]!.case}`, header, rows };
  });
}

function formatMedianCi(unit: string, summary: Summary | null): string {
  if (!summary) return '–';
  return summary.ci.state === 'interval' ? formatInterval(unit, summary.ci.low, summary.ci.high) : summary.ci.reason;
}

function formatOutliers(summary: Summary | null): string {
  if (!summary) return '0';
  return summary.outliers.rule === 'none' ? summary.outliers.reason : String(summary.outliers.indices.length);
}

/** Targets that were skipped or failed entirely, with the recorded reason. */
export function buildSkippedTable(report: ReportModel): TextTable {
  return {
    header: ['run', 'case', 'target', 'status', 'reason'],
    rows: report.skipped.map((skipped) => [
      report.runs[skipped.runIndex]!.label,
      caseLabel(skipped),
      skipped.target,
      skipped.status,
      skipped.reason,
    ]),
  };
}

/** Every failed recorded iteration with its error. */
export function buildFailuresTable(report: ReportModel): TextTable {
  const rows = report.groups.flatMap((group) =>
    group.series.flatMap((series) =>
      series.failures.map((failure) => [
        report.runs[group.runIndex]!.label,
        caseLabel(group),
        series.targetLabel,
        String(failure.index),
        failure.error,
      ]),
    ),
  );
  return { header: ['run', 'case', 'target', 'iteration', 'error'], rows };
}

function describeKvm(run: RunInfo): string {
  const kvm = run.environment.kvmAvailable;
  if (kvm === null) return 'unknown';
  return kvm ? 'available' : 'not available (VMs ran under TCG, software emulation)';
}

/** The hosts: a line per property, a column per run. */
export function buildEnvironmentTable(report: ReportModel): TextTable {
  const line = (name: string, value: (run: RunInfo) => string) => [name, ...report.runs.map(value)];
  return {
    header: ['', ...report.runs.map((run) => run.label)],
    rows: [
      line('host', (run) => run.environment.hostname),
      line('CPU', (run) => run.environment.cpuModel),
      line('logical CPUs', (run) => (run.environment.cores === null ? 'unknown' : String(run.environment.cores))),
      line('memory', (run) =>
        run.environment.memoryBytes === null ? 'unknown' : formatValue('bytes', run.environment.memoryBytes),
      ),
      line('kernel', (run) => run.environment.kernel),
      line('distribution', (run) => run.environment.distro),
      line('virtualization', (run) => run.environment.virtualization),
      line('KVM', describeKvm),
      line('cgroups', (run) => run.environment.cgroupMode),
      line('isobench', (run) => `${run.isobenchVersion} (${run.commit ?? 'no commit'})`),
      line('run id', (run) => run.runId),
      line('round order', (run) => run.order),
      line('page cache', (run) => run.pageCache),
      line('status', (run) => (run.interrupted ? `${run.status}: INTERRUPTED, figures may be missing` : run.status)),
    ],
  };
}

/** The targets a report covers, for its introduction. */
export function listReportTargets(report: ReportModel): string[] {
  const seen = new Map<string, string>();
  for (const group of report.groups) {
    for (const series of group.series) {
      if (series.status !== 'skipped') seen.set(series.targetLabel, series.target);
    }
  }
  return [...seen.keys()].sort(
    (a, b) =>
      TARGET_KINDS.indexOf(seen.get(a) as never) - TARGET_KINDS.indexOf(seen.get(b) as never) || a.localeCompare(b),
  );
}
