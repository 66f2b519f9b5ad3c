import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReportModel, findFigure, findRatio } from '../../src/report/model.js';
import { buildAnswerTable } from '../../src/report/tables.js';
import { readRun } from '../../src/results/read-run.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/runs');

describe('buildReportModel', () => {
  it('gives the hand-computed medians and ratios of the tiny fixture', async () => {
    // native 10, 12, 11 ms -> 11 ms; container 22, 20, 24 -> 22 ms; vm 110, 121, 99 -> 110 ms.
    const model = buildReportModel([await readRun(path.join(fixtures, 'synthetic-tiny'))]);
    expect(model.answer).toHaveLength(1);
    const row = model.answer[0]!;
    expect(row.metric).toBe('startup.ready');
    expect(row.targets).toEqual([
      { target: 'native', variant: null },
      { target: 'container', variant: null },
      { target: 'vm', variant: null },
    ]);
    const cell = row.cells[0]!;
    expect(findFigure(cell, 'native')!.median).toBe(11e6);
    expect(findFigure(cell, 'container')!.median).toBe(22e6);
    expect(findFigure(cell, 'vm')).toMatchObject({ median: 110e6, n: 3, accel: 'tcg', variant: null });
    expect(findRatio(cell, 'container/native')!.ratio).toBe(2);
    expect(findRatio(cell, 'vm/native')!.ratio).toBe(10);
    expect(findRatio(cell, 'vm/container')!.ratio).toBe(5);
    expect(findRatio(cell, 'vm/native')!.accel).toBe('tcg');
    expect(findRatio(cell, 'container/native')!.accel).toBeNull();
    // 3 samples a side: neither a median CI (n >= 6) nor a ratio CI (the exact test cannot reach 5 %).
    expect(cell.ratios).toHaveLength(3);
    for (const ratio of cell.ratios) {
      expect(ratio.ci).toMatchObject({ state: 'n-too-small', level: 0.95, reason: 'n too small for a 95 % interval' });
    }
    expect(findFigure(cell, 'native')!.ci).toMatchObject({ state: 'n-too-small', minN: 6 });
  });

  it('is deterministic: the same runs give the same model', async () => {
    const run = await readRun(path.join(fixtures, 'synthetic-full-tcg'));
    expect(JSON.stringify(buildReportModel([run]))).toBe(JSON.stringify(buildReportModel([run])));
  });

  it('records the skipped target with its reason and failed iterations with their error', async () => {
    const model = buildReportModel([await readRun(path.join(fixtures, 'synthetic-full-tcg'))]);
    expect(model.skipped).toEqual([expect.objectContaining({ case: 'startup', target: 'podman', status: 'skipped' })]);
    const vm = model.groups.find((g) => g.case === 'startup')!.series.find((s) => s.target === 'vm')!;
    expect(vm.targetLabel).toBe('vm (TCG)');
    expect(vm.failures).toEqual([{ index: 3, error: 'vm: guest did not print the ready marker within 120 s' }]);
    expect(vm.recordedIterations).toBe(7);
  });

  it('merges two runs into two labelled columns and flags the interrupted one', async () => {
    const model = buildReportModel([
      await readRun(path.join(fixtures, 'synthetic-full-tcg')),
      await readRun(path.join(fixtures, 'synthetic-kvm-interrupted')),
    ]);
    expect(model.runs.map((run) => [run.label, run.interrupted])).toEqual([
      ['2025-01-15 · host bench-tcg-01 · b7e4c2d', false],
      ['2025-01-16 · host bench-kvm-02 · c0ffee1', true],
    ]);
    const table = buildAnswerTable(model);
    expect(table.header).toEqual([
      'metric',
      'case',
      'figure',
      '2025-01-15 · host bench-tcg-01 · b7e4c2d',
      '2025-01-16 · host bench-kvm-02 · c0ffee1',
    ]);
    const vmStartup = table.rows.find((row) => row[0] === 'startup.ready' && row[2] === 'vm median')!;
    expect(vmStartup[3]).toMatch(/ s \(TCG\)$/);
    expect(vmStartup[4]).toMatch(/ ms \(KVM\)$/);
    // The KVM run has no disk case: its column says so.
    const disk = table.rows.find((row) => row[0] === 'disk.image' && row[2] === 'native median')!;
    expect(disk[4]).toBe('–');
  });

  it('labels a run so that a host named like a target never reads as the target', async () => {
    const run = await readRun(path.join(fixtures, 'synthetic-tiny'));
    const model = buildReportModel([{ ...run, environment: { ...run.environment, hostname: 'vm' } }]);
    expect(model.runs[0]!.label).toBe('2025-01-10 · host vm · aaaaaaa');
    expect(model.runs[0]!.label).not.toMatch(/^(native|container|vm|runc|crun|podman)\b/);
  });

  it('gives two runs of the same host, commit and day distinct labels', async () => {
    const run = await readRun(path.join(fixtures, 'synthetic-tiny'));
    const model = buildReportModel([run, { ...run, runId: 'synthetic-tiny-0002' }]);
    expect(model.runs.map((r) => r.label)).toEqual([
      '2025-01-10 · host tiny-host · aaaaaaa · synthetic-tiny-0001',
      '2025-01-10 · host tiny-host · aaaaaaa · synthetic-tiny-0002',
    ]);
  });
});
