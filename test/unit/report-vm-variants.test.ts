import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildHeadlineTable, describeFirstScreen } from '../../src/report/first-screen.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReportModel, findRatio, listVmFigures, type ReportModel } from '../../src/report/model.js';
import { reportModelSchema } from '../../src/report/report-schema.js';
import { buildAnswerTable } from '../../src/report/tables.js';
import { readRun } from '../../src/results/read-run.js';
import type { RunResult } from '../../src/suite/run-schema.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/runs');
const ms = 1e6;

// The tiny fixture (native 11 ms, container 22 ms, vm 110 ms) with its vm recorded as the stock
// kernel and a second vm on the minimal kernel: 33, 44, 55 ms -> median 44 ms, 4x native, 2x container.
let model: ReportModel;
let plain: ReportModel;

beforeAll(async () => {
  const run = await readRun(path.join(fixtures, 'synthetic-tiny'));
  const stock = run.series.find((series) => series.target === 'vm')!;
  const minimalSamples = [44 * ms, 33 * ms, 55 * ms];
  const minimal = {
    ...stock,
    variant: 'minimal',
    iterations: stock.iterations.map((iteration, k) =>
      iteration.warmup ? iteration : { ...iteration, values: { 'startup.ready': minimalSamples[k % 3]! } },
    ),
    metrics: { 'startup.ready': { ...stock.metrics['startup.ready']!, samples: minimalSamples, summary: undefined } },
  };
  const withVariants: RunResult = {
    ...run,
    series: run.series.flatMap((series) => (series === stock ? [{ ...stock, variant: 'stock' }, minimal] : [series])),
  };
  model = buildReportModel([withVariants]);
  plain = buildReportModel([run]);
});

describe('a run with two vm kernel variants', () => {
  it('answers with a figure and ratios per variant, stock first', () => {
    const row = model.answer.find((candidate) => candidate.metric === 'startup.ready')!;
    expect(row.targets).toEqual([
      { target: 'native', variant: null },
      { target: 'container', variant: null },
      { target: 'vm', variant: 'stock' },
      { target: 'vm', variant: 'minimal' },
    ]);
    const cell = row.cells[0]!;
    expect(listVmFigures(cell).map((vm) => [vm.variant, vm.median])).toEqual([
      ['stock', 110 * ms],
      ['minimal', 44 * ms],
    ]);
    expect(findRatio(cell, 'vm/container', 'stock')!.ratio).toBe(5);
    expect(findRatio(cell, 'vm/container', 'minimal')!.ratio).toBe(2);
    expect(findRatio(cell, 'vm/native', 'minimal')!.ratio).toBe(4);
    expect(findRatio(cell, 'vm/native', null)).toBeNull();
    expect(reportModelSchema.safeParse(JSON.parse(JSON.stringify(model))).success).toBe(true);
  });

  it('names each kernel in the first screen, each with its ratio to the container', () => {
    const startup = describeFirstScreen(model).find((sentence) => sentence.lead === 'Start-up')!;
    expect(startup.text).toContain('vm (TCG, stock kernel) 110 ms, 5.00× the container');
    expect(startup.text).toContain('vm (TCG, minimal kernel) 44.0 ms, 2.00× the container');
  });

  it('gives each kernel its own vm / container and vm / native rows in the headline table', () => {
    const rows = buildHeadlineTable(model).rows.map((row) => [row[0], row[2]]);
    expect(rows).toEqual([
      ['vm (TCG, stock kernel) / container', '5.00× (n too small for a 95 % interval) (110 ms / 22.0 ms)'],
      ['vm (TCG, minimal kernel) / container', '2.00× (n too small for a 95 % interval) (44.0 ms / 22.0 ms)'],
      ['container / native', '2.00× (n too small for a 95 % interval) (22.0 ms / 11.0 ms)'],
      ['vm (TCG, stock kernel) / native', '10.0× (n too small for a 95 % interval) (110 ms / 11.0 ms)'],
      ['vm (TCG, minimal kernel) / native', '4.00× (n too small for a 95 % interval) (44.0 ms / 11.0 ms)'],
    ]);
  });

  it('lists both kernels in the table of all medians and ratios, and in both renderers', () => {
    const figures = buildAnswerTable(model).rows.map((row) => row[2]);
    expect(figures).toEqual([
      'native median',
      'container median',
      'vm (stock kernel) median',
      'vm (minimal kernel) median',
      'container / native',
      'vm (stock kernel) / native',
      'vm (minimal kernel) / native',
      'vm (stock kernel) / container',
      'vm (minimal kernel) / container',
    ]);
    const markdown = renderMarkdown(model);
    const html = renderHtml(model, '');
    for (const text of [markdown, html]) {
      expect(text).toContain('vm (TCG, minimal kernel) / container');
      expect(text).toContain('vm (TCG, stock kernel) 110 ms');
    }
  });

  it('leaves a run without variants as one vm, labelled without a kernel', () => {
    const rows = buildHeadlineTable(plain).rows.map((row) => row[0]);
    expect(rows).toEqual(['vm (TCG) / container', 'container / native', 'vm (TCG) / native']);
    const startup = describeFirstScreen(plain).find((sentence) => sentence.lead === 'Start-up')!;
    expect(startup.text).toContain('vm (TCG) 110 ms, 5.00× the container');
  });
});
