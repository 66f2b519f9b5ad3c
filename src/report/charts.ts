// Renders chart specs to PNG and SVG with chartjs-node-canvas (Chart.js on node-canvas), and
// turns them into exporters: charts/<name>.png and charts/<name>.svg. The white background is
// our own plugin: chartjs-node-canvas's `backgroundColour` paints with 'destination-over', which
// cairo's SVG surface cannot express, so it rasterises the whole chart into one embedded bitmap.

import type { Chart, ChartConfiguration, Plugin } from 'chart.js';
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

/** Fills the canvas white before anything is drawn (Chart.js clears it just before beforeDraw). */
const whiteBackground: Plugin = {
  id: 'isobenchBackground',
  beforeDraw: (chart: Chart) => {
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = BACKGROUND;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/** The Chart.js configuration of a spec: a copy (Chart.js mutates it), with the background and whisker plugins. */
export function toConfiguration(spec: ChartSpec): ChartConfiguration {
  // structuredClone: Chart.js mutates the config it is given; the spec stays pristine for html.
  const config = structuredClone(spec.config) as unknown as ChartConfiguration;
  config.plugins = [whiteBackground];
  if (spec.whiskers) {
    config.plugins.push({
      id: 'isobenchCiWhiskers',
      afterDatasetsDraw: (chart) => drawCiWhiskers(chart as unknown as WhiskerChart),
    });
  }
  return config;
}

/** Creates a PNG and an SVG renderer of `widthPx` x `heightPx` (default 900 x 500). */
export function createChartRenderer(widthPx = CHART_WIDTH, heightPx = CHART_HEIGHT): ChartRenderer {
  const png = new ChartJSNodeCanvas({ width: widthPx, height: heightPx });
  let svg: ChartJSNodeCanvas | undefined;
  return {
    renderPng: (spec) => png.renderToBuffer(toConfiguration(spec), 'image/png'),
    renderSvg: (spec) => {
      svg ??= new ChartJSNodeCanvas({ width: widthPx, height: heightPx, type: 'svg' });
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
