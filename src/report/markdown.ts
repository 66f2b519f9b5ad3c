// report.md: the document of document.ts as GitHub-flavoured markdown (the first screen, then the
// sections), ready to paste into documentation. Every text from the run is escaped.

import { type Block, buildReportDocument, type LedText } from './document.js';
import type { Exporter } from './exporter.js';
import type { ReportModel } from './model.js';
import type { TextTable } from './tables.js';

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

function renderLed(item: LedText): string {
  return item.lead ? `**${escapeMarkdown(item.lead)}**: ${escapeMarkdown(item.text)}` : escapeMarkdown(item.text);
}

function renderBlock(block: Block): string[] {
  switch (block.kind) {
    case 'heading':
      return [`### ${escapeMarkdown(block.text)}`, ''];
    case 'paragraph':
      return [renderLed(block), ''];
    case 'list':
      return block.items.length === 0 ? [] : [...block.items.map((item) => `- ${renderLed(item)}`), ''];
    case 'table':
      return [renderMarkdownTable(block.table), ''];
    case 'charts':
      return block.charts.flatMap((chart) => [
        `![${escapeMarkdown(chart.title)}](charts/${chart.name}.png)`,
        '',
        `[SVG](charts/${chart.name}.svg)`,
        '',
      ]);
  }
}

/** Renders report.md; deterministic (no time of rendering in it). */
export function renderMarkdown(report: ReportModel): string {
  const document = buildReportDocument(report);
  const lines = [`# ${document.title}`, '', ...document.firstScreen.flatMap(renderBlock)];
  for (const section of document.sections) {
    lines.push(`## ${escapeMarkdown(section.title)}`, '', ...section.blocks.flatMap(renderBlock));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export const markdownExporter: Exporter = {
  fileName: 'report.md',
  render: async (report) => renderMarkdown(report),
};
