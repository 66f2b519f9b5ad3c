import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCsvNumber, renderSamplesCsv, renderSummaryCsv } from '../../src/report/csv.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReportModel } from '../../src/report/model.js';
import { readRun } from '../../src/results/read-run.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/runs');
const snapshots = path.join(import.meta.dirname, '__snapshots__');

describe('report exporters on synthetic runs', () => {
  it('renders the tiny run as the stored markdown and CSVs', async () => {
    const model = buildReportModel([await readRun(path.join(fixtures, 'synthetic-tiny'))]);
    await expect(renderMarkdown(model)).toMatchFileSnapshot(path.join(snapshots, 'report-tiny.md'));
    await expect(renderSummaryCsv(model)).toMatchFileSnapshot(path.join(snapshots, 'report-tiny-summary.csv'));
    await expect(renderSamplesCsv(model)).toMatchFileSnapshot(path.join(snapshots, 'report-tiny-samples.csv'));
  });

  it('renders two merged runs as the stored markdown and summary CSV', async () => {
    const model = buildReportModel([
      await readRun(path.join(fixtures, 'synthetic-full-tcg')),
      await readRun(path.join(fixtures, 'synthetic-kvm-interrupted')),
    ]);
    await expect(renderMarkdown(model)).toMatchFileSnapshot(path.join(snapshots, 'report-merged.md'));
    await expect(renderSummaryCsv(model)).toMatchFileSnapshot(path.join(snapshots, 'report-merged-summary.csv'));
  });

  it('writes the tiny summary.csv with hand-checked columns and ratios', async () => {
    const model = buildReportModel([await readRun(path.join(fixtures, 'synthetic-tiny'))]);
    const [header, native, container, vm, podman] = renderSummaryCsv(model).trimEnd().split('\n');
    const columns = header!.split(',');
    expect(columns.slice(0, 17)).toEqual([
      ...['timestamp', 'run', 'host', 'commit', 'scenario', 'case', 'measure'],
      ...['instances', 'memory_bytes', 'cpus', 'param', 'point', 'target', 'accel', 'status', 'recorded', 'failed'],
    ]);
    const at = (line: string | undefined, column: string) => line!.split(',')[columns.indexOf(column)];
    expect(at(native, 'timestamp')).toBe('2025-01-10T09:00:00.000Z');
    expect(native).toMatch(/^[^,]+,synthetic-tiny-0001,tiny-host,aaaaaaa,tiny,hello,startup,/);
    expect([at(native, 'metric'), at(native, 'n'), at(native, 'median'), at(native, 'mean')]).toEqual([
      'startup.ready',
      '3',
      '11000000',
      '11000000',
    ]);
    // n = 3: no median CI (state says why, the figures are empty); native has no ratio to itself.
    expect([at(native, 'ci_state'), at(native, 'ci_low'), at(native, 'ratio_to_native')]).toEqual([
      'n-too-small',
      '',
      '',
    ]);
    expect([at(container, 'ratio_to_native'), at(container, 'ratio_ci_state')]).toEqual(['2', 'n-too-small']);
    expect([at(vm, 'target'), at(vm, 'accel'), at(vm, 'ratio_to_native')]).toEqual(['vm', 'tcg', '10']);
    // A skipped target keeps its row: its status and reason, no figures.
    expect([at(podman, 'target'), at(podman, 'status'), at(podman, 'metric'), at(podman, 'n')]).toEqual([
      'podman',
      'skipped',
      '',
      '',
    ]);
    expect(podman).toMatch(/,podman not installed: apt-get install podman$/);
  });

  it('gives every run the same CSV headers, sweep parameters in fixed columns', async () => {
    const tiny = buildReportModel([await readRun(path.join(fixtures, 'synthetic-tiny'))]);
    const full = buildReportModel([await readRun(path.join(fixtures, 'synthetic-full-tcg'))]);
    const headerOf = (csv: string) => csv.split('\n')[0];
    expect(headerOf(renderSummaryCsv(tiny))).toBe(headerOf(renderSummaryCsv(full)));
    expect(headerOf(renderSamplesCsv(tiny))).toBe(headerOf(renderSamplesCsv(full)));
    expect(headerOf(renderSamplesCsv(full))).toBe(
      'timestamp,run,host,commit,scenario,case,measure,instances,memory_bytes,cpus,param,point,target,accel,' +
        'iteration,status,metric,unit,value,error',
    );
    expect(renderSummaryCsv(full)).toMatch(
      /,default,density,density,16,,,,instances=16,container,,ok,3,0,memory\.host_pinned,bytes,3,/,
    );
  });

  it('lists a failed iteration in samples.csv with its status and error', async () => {
    const model = buildReportModel([await readRun(path.join(fixtures, 'synthetic-full-tcg'))]);
    const lines = renderSamplesCsv(model).split('\n');
    const failed = lines.filter((line) => line.includes(',failed,'));
    expect(failed).toEqual([
      expect.stringMatching(
        /,default,startup,startup,,,,,,vm,tcg,3,failed,,,,vm: guest did not print the ready marker within 120 s$/,
      ),
    ]);
    // In iteration order: iteration 2's samples, then the failure, then iteration 4's.
    const vmIterations = lines
      .filter((line) => /,startup,startup,,,,,,vm,/.test(line))
      .map((line) => Number(line.split(',')[14]));
    expect(vmIterations).toEqual([...vmIterations].sort((a, b) => a - b));
  });

  it('writes numbers without binary floating-point noise', async () => {
    expect(formatCsvNumber(7917460.399999999)).toBe('7917460.4');
    expect(formatCsvNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatCsvNumber(11_000_000)).toBe('11000000');
    expect(formatCsvNumber(4.638070753672)).toBe('4.63807075367');
    const run = await readRun(path.join(fixtures, 'synthetic-tiny'));
    const noisy = structuredClone(run);
    noisy.series[0]!.metrics['startup.ready']!.samples = [7917460.399999999, 7917460.399999999, 7917461.1];
    const csv = renderSummaryCsv(buildReportModel([noisy])) + renderSamplesCsv(buildReportModel([noisy]));
    expect(csv).not.toMatch(/\d\.\d{13,}/);
    expect(csv).toContain(',7917460.4,');
  });

  it('neutralises a formula in a hostile hostname', async () => {
    const run = await readRun(path.join(fixtures, 'synthetic-tiny'));
    const hostile = { ...run, environment: { ...run.environment, hostname: '=HYPERLINK("http://x")' } };
    const csv = renderSummaryCsv(buildReportModel([hostile]));
    expect(csv).toContain(`,"'=HYPERLINK(""http://x"")",`);
  });
});
