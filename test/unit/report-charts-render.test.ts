import path from 'node:path';
import { createCanvas, loadImage } from 'canvas';
import type { Chart, Plugin } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildChartSpecs, CHART_HEIGHT, CHART_WIDTH, type ChartSpec } from '../../src/report/chart-specs.js';
import { type ChartRenderer, createChartRenderer, toConfiguration } from '../../src/report/charts.js';
import { buildReportModel, type ReportModel } from '../../src/report/model.js';
import { TARGET_COLOURS } from '../../src/report/palette.js';
import { readRun } from '../../src/results/read-run.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/runs');
let model: ReportModel;
let specs: ChartSpec[];
let renderer: ChartRenderer;

beforeAll(async () => {
  model = buildReportModel([await readRun(path.join(fixtures, 'synthetic-full-tcg'))]);
  specs = buildChartSpecs(model);
  renderer = createChartRenderer();
});

function specNamed(name: string): ChartSpec {
  const spec = specs.find((candidate) => candidate.name === name);
  if (!spec) throw new Error(`no chart ${name}`);
  return spec;
}

/** Width and height from the PNG IHDR chunk (bytes 16..23, big-endian). */
function readPngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

interface Pixels {
  width: number;
  height: number;
  rgbAt(x: number, y: number): [number, number, number];
}

/** Decodes a PNG into its RGB pixels. */
async function decodePng(png: Buffer): Promise<Pixels> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  return {
    width: image.width,
    height: image.height,
    rgbAt: (x, y) => {
      const i = (Math.round(y) * image.width + Math.round(x)) * 4;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    },
  };
}

function hexRgb(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** Counts pixels of exactly `hex` colour. */
function countColour(pixels: Pixels, hex: string): number {
  const [r, g, b] = hexRgb(hex);
  let count = 0;
  for (let y = 0; y < pixels.height; y++) {
    for (let x = 0; x < pixels.width; x++) {
      const [pr, pg, pb] = pixels.rgbAt(x, y);
      if (pr === r && pg === g && pb === b) count++;
    }
  }
  return count;
}

interface Layout {
  chartArea: { left: number; top: number; right: number; bottom: number };
  bars: Array<{ dataset: string; colour: string; x: number; y: number; base: number }>;
}

/**
 * Renders a spec as the report does (same configuration and plugins), recording where Chart.js
 * put the plot area and every bar, so the test can look at those pixels of the PNG.
 */
async function renderWithLayout(spec: ChartSpec): Promise<{ png: Buffer; layout: Layout }> {
  const layout: Layout = { chartArea: { left: 0, top: 0, right: 0, bottom: 0 }, bars: [] };
  const capture: Plugin = {
    id: 'testCaptureLayout',
    afterDraw: (chart: Chart) => {
      const { left, top, right, bottom } = chart.chartArea;
      layout.chartArea = { left, top, right, bottom };
      chart.data.datasets.forEach((dataset, index) => {
        for (const element of chart.getDatasetMeta(index).data as unknown as Array<{
          x: number;
          y: number;
          base: number;
        }>) {
          if (element.base === undefined || Number.isNaN(element.y)) continue;
          layout.bars.push({
            dataset: String(dataset.label),
            colour: String(dataset.backgroundColor),
            x: element.x,
            y: element.y,
            base: element.base,
          });
        }
      });
    },
  };
  const config = toConfiguration(spec);
  config.plugins = [...(config.plugins ?? []), capture];
  const canvas = new ChartJSNodeCanvas({ width: CHART_WIDTH, height: CHART_HEIGHT });
  return { png: await canvas.renderToBuffer(config, 'image/png'), layout };
}

describe('chart specs', () => {
  it('builds every chart the full run has data for, each naming its accel', () => {
    expect(specs.map((spec) => spec.name)).toEqual([
      'startup-default-startup',
      'startup-phases-native-default-startup',
      'startup-phases-container-default-startup',
      'startup-phases-vm-default-startup',
      'startup-phases-runc-default-startup',
      'startup-phases-crun-default-startup',
      'teardown-default-startup',
      'memory-default-idle',
      'density-slope-default-density',
      'density-default-density-native',
      'density-default-density-container',
      'density-default-density-vm-tcg',
      'density-default-density-runc',
      'density-default-density-crun',
      'memory-timeline-default-idle',
      'disk-default-footprint',
      'io-default',
      'cpu-default-compute',
    ]);
    for (const spec of specs) {
      // Every chart that shows a VM says TCG; charts of one other target show no VM.
      const showsVm = !/^(startup-phases|density-default-density)-/.test(spec.name) || spec.name.includes('vm');
      if (showsVm) expect(spec.title).toMatch(/\(vm under TCG\)$/);
      else expect(spec.title).not.toMatch(/TCG|KVM/);
      const options = spec.config.options as { scales: Record<string, { title: { text: string } }> };
      expect(options.scales.x!.title.text).not.toBe('');
      expect(options.scales.y!.title.text).toMatch(/\((µs|ms|s|MiB|KiB|GiB|MB\/s|×)\)/);
    }
    expect(specNamed('startup-default-startup').config.data.datasets.map((d) => d.label)).toEqual([
      'native',
      'container',
      'vm (TCG)',
      'runc',
      'crun',
    ]);
  });

  it('labels phases in words, never by their field names', () => {
    const phases = specs.filter((spec) => spec.name.startsWith('startup-phases-'));
    const labels = phases.flatMap((spec) => spec.config.data.datasets.map((d) => d.label));
    expect(labels).toContain('overlay mount of the image layers');
    expect(labels).toContain('QEMU spawn');
    for (const label of labels) expect(label).not.toMatch(/Ns$|[a-z][A-Z]/);
  });

  it('starts a log axis a decade boundary below the smallest bar, and reaches the highest whisker', () => {
    const startup = specNamed('startup-default-startup');
    const y = (startup.config.options as { scales: { y: { type: string; min: number; suggestedMax: number } } }).scales
      .y;
    expect(y.type).toBe('logarithmic');
    const datasets = startup.config.data.datasets;
    const smallest = Math.min(...datasets.flatMap((d) => (d.data as Array<number | null>).filter((v) => v !== null)));
    expect(y.min).toBeLessThan(smallest / 2);
    expect(Math.log10(y.min) % 1).toBe(0);
    const highest = Math.max(...datasets.flatMap((d) => (d.ciHigh ?? []).filter((v): v is number => v !== null)));
    expect(y.suggestedMax).toBeGreaterThanOrEqual(highest);
  });

  it('draws density as points and a fitted line over the measured N only, never a line through the points', () => {
    const vm = specNamed('density-default-density-vm-tcg');
    const [points, line] = vm.config.data.datasets;
    expect(points!.showLine).toBe(false);
    expect((points!.data as Array<{ x: number }>).map((p) => p.x)).toEqual([1, 2, 4, 8]);
    expect((line!.data as Array<{ x: number }>).map((p) => p.x)).toEqual([1, 8]);
  });

  it('skips charts whose data is absent', async () => {
    const tiny = buildReportModel([await readRun(path.join(fixtures, 'synthetic-tiny'))]);
    expect(buildChartSpecs(tiny).map((spec) => spec.name)).toEqual(['startup-tiny-hello']);
  });
});

describe('rendered charts', () => {
  it('gives every bar of the log-scale charts pixels in its colour, the smallest included (decoded PNG)', async () => {
    for (const name of ['startup-default-startup', 'io-default']) {
      const { png, layout } = await renderWithLayout(specNamed(name));
      const pixels = await decodePng(png);
      expect(layout.bars.length).toBeGreaterThanOrEqual(5);
      const shortest = Math.min(...layout.bars.map((bar) => Math.abs(bar.base - bar.y)));
      expect(shortest, `${name}: the shortest bar`).toBeGreaterThan(20);
      for (const bar of layout.bars) {
        // The bar's middle, away from its whisker at the top.
        const rgb = pixels.rgbAt(bar.x - 10, (bar.y + bar.base) / 2 + 2);
        expect(rgb, `${name}: ${bar.dataset}`).toEqual(hexRgb(bar.colour));
      }
    }
  });

  it('keeps whiskers inside the plot area even when a CI reaches far beyond the axis (decoded PNG)', async () => {
    const spec = structuredClone(specNamed('startup-default-startup'));
    const vm = spec.config.data.datasets.find((d) => d.label === 'vm (TCG)')!;
    // A CI a thousand times the axis top, and one far below its bottom.
    vm.ciHigh = vm.ciHigh!.map((v) => (v === null ? null : v * 1000));
    vm.ciLow = vm.ciLow!.map((v) => (v === null ? null : v / 1e6));
    const { png, layout } = await renderWithLayout(spec);
    const pixels = await decodePng(png);
    // Whiskers are the only pure black the chart draws (text and grid are grey).
    let black = 0;
    for (let y = 0; y < pixels.height; y++) {
      for (let x = 0; x < pixels.width; x++) {
        const [r, g, b] = pixels.rgbAt(x, y);
        if (r !== 0 || g !== 0 || b !== 0) continue;
        black++;
        expect(x).toBeGreaterThanOrEqual(layout.chartArea.left - 1);
        expect(x).toBeLessThanOrEqual(layout.chartArea.right + 1);
        expect(y).toBeGreaterThanOrEqual(layout.chartArea.top - 1);
        expect(y).toBeLessThanOrEqual(layout.chartArea.bottom + 1);
      }
    }
    expect(black).toBeGreaterThan(50);
  });

  it('renders a 900x500 PNG on an opaque white background', async () => {
    const png = await renderer.renderPng(specNamed('startup-default-startup'));
    expect(readPngSize(png)).toEqual({ width: 900, height: 500 });
    const pixels = await decodePng(png);
    expect(pixels.rgbAt(1, 1)).toEqual([255, 255, 255]);
    expect(countColour(pixels, TARGET_COLOURS.vm)).toBeGreaterThan(1000);
    const empty = await renderer.renderPng({
      ...specNamed('startup-default-startup'),
      config: { ...specNamed('startup-default-startup').config, data: { labels: [], datasets: [] } },
    });
    expect(countColour(await decodePng(empty), TARGET_COLOURS.vm)).toBe(0);
  });

  it('renders every chart to PNG and to an SVG of vector paths with no embedded bitmap', async () => {
    for (const spec of specs) {
      expect(readPngSize(await renderer.renderPng(spec))).toEqual({ width: 900, height: 500 });
      const svg = renderer.renderSvg(spec).toString('utf8');
      expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\s*<svg [^>]*viewBox="0 0 900 500"/);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(svg, spec.name).not.toMatch(/<image\b/);
      expect(svg.match(/<path\b/g)?.length ?? 0, spec.name).toBeGreaterThan(10);
    }
  });
});
