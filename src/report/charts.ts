// Renders chart specs to PNG and SVG with chartjs-node-canvas (Chart.js on node-canvas), and
// turns them into exporters: charts/<name>.png and charts/<name>.svg.

import type { ChartConfiguration } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { buildChartSpecs, CHART_HEIGHT, CHART_WIDTH, type ChartSpec } from './chart-specs.js';
import { drawCiWhiskers, type WhiskerChart } from './ci-whiskers.js';
import type { Exporter } from './exporter.js';
import type { ReportModel } from './model.js';

/** White background: charts are pasted into documents with any theme. */
const BACKGROUND = '#FFFFFF';

/** Renders charts of one size; create once per report (each instance loads its own Chart.js). */
export interface ChartRenderer {
  renderPng(spec: ChartSpec): Promise<Buffer>;
  renderSvg(spec: ChartSpec): Buffer;
}

function toConfiguration(spec: ChartSpec): ChartConfiguration {
  // structuredClone: Chart.js mutates the config it is given; the spec stays pristine for html.
  const config = structuredClone(spec.config) as unknown as ChartConfiguration;
  if (spec.whiskers) {
    config.plugins = [
      { id: 'isobenchCiWhiskers', afterDatasetsDraw: (chart) => drawCiWhiskers(chart as unknown as WhiskerChart) },
    ];
  }
  return config;
}

/** Creates a PNG and an SVG renderer of `widthPx` x `heightPx` (default 900 x 500). */
export function createChartRenderer(widthPx = CHART_WIDTH, heightPx = CHART_HEIGHT): ChartRenderer {
  const png = new ChartJSNodeCanvas({ width: widthPx, height: heightPx, backgroundColour: BACKGROUND });
  let svg: ChartJSNodeCanvas | undefined;
  return {
    renderPng: (spec) => png.renderToBuffer(toConfiguration(spec), 'image/png'),
    renderSvg: (spec) => {
      svg ??= new ChartJSNodeCanvas({ width: widthPx, height: heightPx, backgroundColour: BACKGROUND, type: 'svg' });
      return svg.renderToBufferSync(toConfiguration(spec), 'image/svg+xml');
    },
  };
}

/** The PNG and SVG exporters of every chart the model has data for. */
export function listChartExporters(report: ReportModel, renderer: ChartRenderer = createChartRenderer()): Exporter[] {
  return buildChartSpecs(report).flatMap((spec): Exporter[] => [
    { fileName: `charts/${spec.name}.png`, render: () => renderer.renderPng(spec) },
    { fileName: `charts/${spec.name}.svg`, render: async () => renderer.renderSvg(spec) },
  ]);
}
