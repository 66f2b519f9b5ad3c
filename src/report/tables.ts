// The report's tables as plain text cells (formatted figures, no markup), shared by report.md and
// report.html so both show the same numbers. Cells hold untrusted text: renderers escape them.

import type { Summary } from '../stats/index.js';
import { DENSITY_COMPONENTS } from './density.js';
import { describeSlope } from './figure-text.js';
import {
  ANSWER_RATIOS,
  type AnswerCell,
  type AnswerRow,
  type AnswerTarget,
  compareAnswerTargets,
  findFigure,
  findRatio,
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

function caseLabel(row: { scenario: string; case: string; pointLabel: string }): string {
  return `${row.scenario}/${row.case}${row.pointLabel ? ` (${row.pointLabel})` : ''}`;
}

/** "vm (minimal kernel)" for a vm kernel variant (the accelerator goes in each run's cell); the kind otherwise. */
function answerTargetName(target: AnswerTarget): string {
  return target.variant ? `${target.target} (${target.variant} kernel)` : target.target;
}

function answerLines(row: AnswerRow): Array<{ figure: string; cell: (cell: AnswerCell) => string }> {
  const medians = row.targets.map((target) => ({
    figure: `${answerTargetName(target)} median`,
    cell: (cell: AnswerCell) => {
      const figure = findFigure(cell, target.target, target.variant);
      return figure ? formatValue(row.unit, figure.median) + accelSuffix(figure.accel, figure.target) : '–';
    },
  }));
  const ratios = ANSWER_RATIOS.flatMap((pair) =>
    row.targets
      .filter((target) => target.target === pair.numerator)
      .filter((target) => row.cells.some((cell) => cell && findRatio(cell, pair.key, target.variant)))
      .map((target) => ({
        figure: `${answerTargetName(target)} / ${pair.denominator}`,
        cell: (cell: AnswerCell) => formatRatioCell(findRatio(cell, pair.key, target.variant) ?? undefined),
      })),
  );
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

/**
 * The density fits: a row per (run, case, target) with the N measured, n, the slope of
 * memory.host_pinned per instance with its CI, each recorded component's slope, and r².
 */
export function buildDensityTable(report: ReportModel): TextTable {
  const multiRun = report.runs.length > 1;
  const components = DENSITY_COMPONENTS.filter((component) =>
    report.density.some((fit) => fit.components.some((c) => c.metric === component.metric)),
  );
  const header = [
    ...(multiRun ? ['run'] : []),
    ...['case', 'target', 'N measured', 'n', 'per instance [95% CI]'],
    ...components.map((component) => component.label),
    'r²',
  ];
  const rows = report.density.map((fit) => [
    ...(multiRun ? [report.runs[fit.runIndex]!.label] : []),
    `${fit.scenario}/${fit.case}`,
    fit.targetLabel,
    fit.points.map((point) => point.instances).join(', '),
    String(fit.total.n),
    describeSlope(fit.total.reading, fit.total.reason),
    ...components.map((component) => {
      const slope = fit.components.find((c) => c.metric === component.metric);
      return slope ? describeSlope(slope.reading, slope.reason) : '–';
    }),
    fit.total.fit ? fit.total.fit.rSquared.toFixed(3) : '–',
  ]);
  return { header, rows };
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
      line('KSM', (run) =>
        run.environment.ksmRun === null
          ? 'not recorded'
          : run.environment.ksmRun === 0
            ? 'off'
            : `run = ${run.environment.ksmRun}`,
      ),
      line('transparent huge pages', (run) => run.environment.thpEnabled ?? 'not recorded'),
      line('isobench', (run) => `${run.isobenchVersion} (${run.commit ?? 'no commit'})`),
      line('run id', (run) => run.runId),
      line('round order', (run) => run.order),
      line('page cache', (run) => run.pageCache),
      line('status', (run) => (run.interrupted ? `${run.status}: INTERRUPTED, figures may be missing` : run.status)),
    ],
  };
}

/** The targets a report covers, for its introduction: in answer order (the stock vm kernel first). */
export function listReportTargets(report: ReportModel): string[] {
  const seen = new Map<string, AnswerTarget>();
  for (const group of report.groups) {
    for (const series of group.series) {
      if (series.status !== 'skipped') seen.set(series.targetLabel, { target: series.target, variant: series.variant });
    }
  }
  return [...seen.keys()].sort((a, b) => compareAnswerTargets(seen.get(a)!, seen.get(b)!) || a.localeCompare(b));
}
