// report.md: the answer table first, then the charts, per-case details, skipped targets, failures
// and the environment. Plain GitHub-flavoured markdown, ready to paste into documentation.

import { buildChartSpecs } from './chart-specs.js';
import type { Exporter } from './exporter.js';
import type { ReportModel } from './model.js';
import {
  buildAnswerTable,
  buildDetailTables,
  buildEnvironmentTable,
  buildFailuresTable,
  buildSkippedTable,
  describeStatistics,
  listReportTargets,
  type TextTable,
} from './tables.js';

/**
 * Escapes text from the run for a markdown table cell: markup characters are backslash-escaped,
 * < > & become entities (no raw HTML reaches a renderer), line breaks become spaces.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|#!{}]/g, (c) => `\\${c}`);
}

/** Renders a table; every cell is escaped. */
export function renderMarkdownTable(table: TextTable): string {
  const line = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  return [line(table.header), `| ${table.header.map(() => '---').join(' | ')} |`, ...table.rows.map(line)].join('\n');
}

function renderIntroduction(report: ReportModel): string[] {
  const lines = ['# isobench report', ''];
  lines.push(
    `Native vs container vs VM on ${report.runs.length === 1 ? 'one run' : `${report.runs.length} runs`}; ` +
      `targets: ${listReportTargets(report).map(escapeMarkdown).join(', ') || 'none'}.`,
    '',
  );
  for (const run of report.runs) {
    const status = run.interrupted ? ` — **interrupted** (status \`${run.status}\`): figures may be missing` : '';
    lines.push(`- ${escapeMarkdown(run.label)}: run ${escapeMarkdown(run.runId)}${status}`);
  }
  return [...lines, ''];
}

function renderAnswer(report: ReportModel): string[] {
  if (report.answer.length === 0) return ['## The answer', '', 'No target produced a figure.', ''];
  return [
    '## The answer',
    '',
    escapeMarkdown(describeStatistics(report)),
    '',
    renderMarkdownTable(buildAnswerTable(report)),
    '',
  ];
}

function renderDetails(report: ReportModel): string[] {
  const lines = ['## Details', ''];
  for (const table of buildDetailTables(report)) {
    lines.push(`### ${escapeMarkdown(table.title)}`, '', renderMarkdownTable(table), '');
  }
  return lines;
}

function renderOptionalTable(title: string, table: TextTable, empty: string): string[] {
  return [`## ${title}`, '', table.rows.length === 0 ? empty : renderMarkdownTable(table), ''];
}

function renderCharts(report: ReportModel): string[] {
  const charts = buildChartSpecs(report);
  if (charts.length === 0) return [];
  const lines = ['## Charts', ''];
  for (const chart of charts) {
    const alt = escapeMarkdown(chart.title);
    lines.push(`![${alt}](charts/${chart.name}.png)`, '', `[SVG](charts/${chart.name}.svg)`, '');
  }
  return lines;
}

/** Renders report.md; deterministic (no time of rendering in it). */
export function renderMarkdown(report: ReportModel): string {
  return `${[
    ...renderIntroduction(report),
    ...renderAnswer(report),
    ...renderDetails(report),
    ...renderOptionalTable('Skipped and failed targets', buildSkippedTable(report), 'Every target ran.'),
    ...renderOptionalTable('Failed iterations', buildFailuresTable(report), 'No iteration failed.'),
    '## Environment',
    '',
    renderMarkdownTable(buildEnvironmentTable(report)),
    '',
    ...renderCharts(report),
  ]
    .join('\n')
    .trimEnd()}\n`;
}

export const markdownExporter: Exporter = {
  fileName: 'report.md',
  render: async (report) => renderMarkdown(report),
};
