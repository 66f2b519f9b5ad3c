// report.html: one self-contained page (no network): the same tables as report.md, and the charts
// drawn live by the Chart.js UMD bundle inlined from node_modules with the data as inline JSON.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { drawCiWhiskers } from './ci-whiskers.js';
import { type Block, buildReportDocument, type LedText } from './document.js';
import type { Exporter } from './exporter.js';
import type { ReportModel } from './model.js';
import type { TextTable } from './tables.js';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON safe inside a <script> element: "<" (so no "</script>" or "<!--"), U+2028 and U+2029 are
 * written as \\u escapes, which JSON.parse reads back unchanged.
 */
export function toScriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Reads the Chart.js UMD bundle installed beside isobench. */
export async function readChartJsBundle(): Promise<string> {
  const require = createRequire(import.meta.url);
  // chart.js exports no subpath for the UMD file: it sits beside the CommonJS entry (dist/chart.cjs).
  const bundle = await readFile(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');
  // The bundle goes inside a <script> element: it must not close it.
  return bundle.replace(/<\/script/gi, '<\\/script');
}

function renderTable(table: TextTable): string {
  const head = `<tr>${table.header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr>`;
  const body = table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`);
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body.join('\n')}\n</tbody>\n</table>`;
}

function renderLed(item: LedText): string {
  return item.lead ? `<strong>${escapeHtml(item.lead)}</strong>: ${escapeHtml(item.text)}` : escapeHtml(item.text);
}

function renderBlock(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `<h3>${escapeHtml(block.text)}</h3>`;
    case 'paragraph':
      return `<p>${renderLed(block)}</p>`;
    case 'list':
      return block.items.length === 0
        ? ''
        : `<ul>\n${block.items.map((item) => `<li>${renderLed(item)}</li>`).join('\n')}\n</ul>`;
    case 'table':
      return renderTable(block.table);
    case 'charts':
      return block.charts
        .map(
          (chart) =>
            `<div class="chart"><canvas id="chart-${escapeHtml(chart.name)}" width="900" height="500" role="img" aria-label="${escapeHtml(chart.title)}"></canvas></div>`,
        )
        .join('\n');
  }
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#000;background:#fff}
table{border-collapse:collapse;margin:1em 0;font-size:14px}th,td{border:1px solid #bbb;padding:3px 8px;text-align:left}
th{background:#eee}td{font-variant-numeric:tabular-nums}.warn{color:#D55E00;font-weight:bold}
.chart{margin:1.5em 0;max-width:900px}`;

// Runs in the browser: draws every chart from the inline JSON, with the CI whisker plugin.
const CHART_SCRIPT = `(function(){
var drawCiWhiskers = DRAW_CI_WHISKERS;
var specs = JSON.parse(document.getElementById('isobench-charts').textContent);
specs.forEach(function (spec) {
  var config = spec.config;
  config.options.responsive = true;
  config.options.animation = false;
  if (spec.whiskers) config.plugins = [{ id: 'isobenchCiWhiskers', afterDatasetsDraw: drawCiWhiskers }];
  new Chart(document.getElementById('chart-' + spec.name), config);
});
})();`;

/** Renders report.html from the model and the Chart.js bundle text. */
export function renderHtml(report: ReportModel, chartJsBundle: string): string {
  const document = buildReportDocument(report);
  const charts = document.sections.flatMap((section) =>
    section.blocks.flatMap((block) => (block.kind === 'charts' ? block.charts : [])),
  );
  const body = [
    `<h1>${escapeHtml(document.title)}</h1>`,
    ...document.firstScreen.map(renderBlock),
    ...document.sections.flatMap((section) => [
      `<h2>${escapeHtml(section.title)}</h2>`,
      ...section.blocks.map(renderBlock),
    ]),
  ]
    .filter((part) => part !== '')
    .join('\n');
  const script = CHART_SCRIPT.replace('DRAW_CI_WHISKERS', () => drawCiWhiskers.toString());
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>isobench report</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<script type="application/json" id="isobench-charts">${toScriptJson(charts)}</script>
<script>${chartJsBundle}</script>
<script>${script}</script>
</body>
</html>
`;
}

export const htmlExporter: Exporter = {
  fileName: 'report.html',
  render: async (report) => renderHtml(report, await readChartJsBundle()),
};
