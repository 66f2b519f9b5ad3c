// The report writers: a model computed once from runs, and one exporter per format.

export { buildChartSpecs, CHART_HEIGHT, CHART_WIDTH, type ChartConfig, type ChartSpec } from './chart-specs.js';
export { type ChartRenderer, createChartRenderer, listChartExporters } from './charts.js';
export { renderSamplesCsv, renderSummaryCsv, samplesCsvExporter, summaryCsvExporter } from './csv.js';
export type { HostEnvironment } from './environment.js';
export type { Exporter } from './exporter.js';
export { escapeHtml, htmlExporter, renderHtml } from './html.js';
export { buildHyperfineResults, type HyperfineResult, hyperfineExporter } from './hyperfine.js';
export { jsonExporter } from './json.js';
export { escapeMarkdown, markdownExporter, renderMarkdown } from './markdown.js';
export {
  ANSWER_METRICS,
  ANSWER_RATIOS,
  type AnswerCell,
  type AnswerRow,
  buildReportModel,
  computeRatio,
  type MetricFigures,
  type RatioFigure,
  type ReportModel,
  type RunInfo,
  type SeriesGroup,
  type SeriesView,
  type SkippedTarget,
} from './model.js';
export { formatValue } from './units.js';
export { listExporters, REPORT_MARKER, writeReport } from './write-report.js';
