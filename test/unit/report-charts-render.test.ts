import path from 'node:path';
import { createCanvas, loadImage } from 'canvas';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildChartSpecs, type ChartSpec } from '../../src/report/chart-specs.js';
import { type ChartRenderer, createChartRenderer } from '../../src/report/charts.js';
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

/** Width and height from the PNG IHDR chunk (bytes 16..23, big-endian). */
function readPngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Counts pixels of exactly `hex` colour (opaque). */
async function countPixels(png: Buffer, hex: string): Promise<number> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b) count++;
  return count;
}

describe('charts', () => {
  it('builds every chart the full run has data for, each naming its accel', () => {
    expect(specs.map((spec) => spec.name)).toEqual([
      'startup-default-startup',
      'startup-phases-native-default-startup',
      'startup-phases-container-default-startup',
      'startup-phases-vm-default-startup',
      'startup-phases-runc-default-startup',
      'startup-phases-crun-default-startup',
      'memory-default-idle',
      'density-default-density',
      'memory-timeline-default-idle',
      'disk-default-footprint',
      'io-default',
      'cpu-default-compute',
    ]);
    for (const spec of specs) {
      // Every chart that shows a VM says TCG; the phase charts of other targets show no VM.
      const showsVm = !spec.name.startsWith('startup-phases-') || spec.name.startsWith('startup-phases-vm-');
      if (showsVm) expect(spec.title).toMatch(/\(vm under TCG\)$/);
      else expect(spec.title).not.toMatch(/TCG|KVM/);
      const options = spec.config.options as { scales: Record<string, { title: { text: string } }> };
      expect(options.scales.x!.title.text).not.toBe('');
      expect(options.scales.y!.title.text).toMatch(/\((ms|s|MiB|KiB|MB\/s|×)\)/);
    }
    const startup = specs[0]!.config.data.datasets.map((d) => d.label);
    expect(startup).toEqual(['native', 'container', 'vm (TCG)', 'runc', 'crun']);
  });

  it('skips charts whose data is absent', async () => {
    const tiny = buildReportModel([await readRun(path.join(fixtures, 'synthetic-tiny'))]);
    expect(buildChartSpecs(tiny).map((spec) => spec.name)).toEqual(['startup-tiny-hello']);
  });

  it('renders a 900x500 PNG with bars in the target colours, larger than the same chart empty', async () => {
    const spec = specs[0]!;
    const png = await renderer.renderPng(spec);
    expect(readPngSize(png)).toEqual({ width: 900, height: 500 });
    expect(png.length).toBeGreaterThan(10_000);
    expect(await countPixels(png, TARGET_COLOURS.vm)).toBeGreaterThan(1000);
    expect(await countPixels(png, TARGET_COLOURS.container)).toBeGreaterThan(100);
    // White background, not transparent: the corner pixel is opaque white.
    const empty = await renderer.renderPng({ ...spec, config: { ...spec.config, data: { labels: [], datasets: [] } } });
    expect(empty.length).toBeLessThan(png.length);
    expect(await countPixels(empty, TARGET_COLOURS.vm)).toBe(0);
  });

  it('renders every chart to PNG and SVG', async () => {
    for (const spec of specs) {
      expect(readPngSize(await renderer.renderPng(spec))).toEqual({ width: 900, height: 500 });
      const svg = renderer.renderSvg(spec).toString('utf8');
      expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\s*<svg [^>]*viewBox="0 0 900 500"/);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    }
  });
});
