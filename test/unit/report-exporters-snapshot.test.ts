import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSamplesCsv, renderSummaryCsv } from '../../src/report/csv.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildReportModel } from '../../src/report/model.js';
import { buildEnvironmentTable } from '../../src/report/tables.js';
import { readRun } from '../../src/results/read-run.js';
import type { RunResult } from '../../src/suite/run-schema.js';

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
    const [header, native, container, vm] = renderSummaryCsv(model).trimEnd().split('\n');
    expect(header).toBe(
      'run,host,commit,scenario,case,target,accel,metric,unit,n,median,mean,p95,min,max,stddev,' +
        'ci_state,ci_low,ci_high,ci_coverage,ratio_to_native,ratio_ci_state,ratio_ci_low,ratio_ci_high,ratio_ci_coverage',
    );
    expect(native).toMatch(
      /^synthetic-tiny-0001,tiny-host,aaaaaaa,tiny,hello,native,,startup\.ready,ns,3,11000000,11000000,/,
    );
    // n = 3: no median CI (state says why, the figures are empty); native has no ratio to itself.
    expect(native).toMatch(/,n-too-small,,,,,,,,$/);
    expect(container!.split(',').slice(20)).toEqual(['2', 'n-too-small', '', '', '']);
    expect(vm!.split(',').slice(5, 7)).toEqual(['vm', 'tcg']);
    expect(vm!.split(',')[20]).toBe('10');
  });

  it('puts sweep points in param_ columns of both CSVs', async () => {
    const model = buildReportModel([await readRun(path.join(fixtures, 'synthetic-full-tcg'))]);
    const samplesHeader = renderSamplesCsv(model).split('\n')[0];
    expect(samplesHeader).toBe(
      'run,host,commit,scenario,case,param_instances,target,accel,metric,unit,iteration,value',
    );
    expect(renderSummaryCsv(model)).toContain(',default,density,4,container,,memory.host_pinned,bytes,4,');
  });

  it('neutralises a formula in a hostile hostname', async () => {
    const run = await readRun(path.join(fixtures, 'synthetic-tiny'));
    const hostile = { ...run, environment: { ...run.environment, hostname: '=HYPERLINK("http://x")' } };
    const csv = renderSummaryCsv(buildReportModel([hostile]));
    expect(csv).toContain(`,"'=HYPERLINK(""http://x"")",`);
  });
});

describe('the environment table states how the run was ordered and whether it ran cold', () => {
  const rowOf = (run: RunResult, name: string) =>
    buildEnvironmentTable(buildReportModel([run])).rows.find((row) => row[0] === name)?.[1];

  it('names a --cold run and a version-1 rotated order', async () => {
    const run = await readRun(path.join(fixtures, 'synthetic-tiny'));
    expect(rowOf({ ...run, conditions: { cold: true, hostMemory: null } }, 'page cache')).toBe(
      'cold: dropped before every launch (--cold)',
    );
    expect(rowOf({ ...run, order: { method: 'rotated' } }, 'round order')).toBe(
      'rotated: round r starts with target r mod n',
    );
    const { order: _order, conditions: _conditions, ...fromHistory } = run;
    expect(rowOf(fromHistory, 'round order')).toBe('not recorded');
    expect(rowOf(fromHistory, 'page cache')).toBe('not recorded');
  });
});
