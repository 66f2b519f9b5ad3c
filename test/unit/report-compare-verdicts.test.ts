import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { compareRuns } from '../../src/report/compare.js';
import type { CompareRow } from '../../src/report/compare-types.js';
import { makeRun } from '../fixtures/compare/make-run.js';

const MS = 1e6;
// Fixed seeds: deterministic, not picked to pass.
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

function rowOf(rows: CompareRow[], target: string, metric = 'startup.exit'): CompareRow {
  const row = rows.find((r) => r.target === target && r.metric === metric);
  if (!row) throw new Error(`no row ${target} ${metric}`);
  return row;
}

describe('compareRuns', () => {
  it('flags an injected 20% regression of startup.exit (n = 20) and names the method', () => {
    for (const seed of SEEDS) {
      const baseline = makeRun({ runId: 'base', seed, series: [{ metrics: { 'startup.exit': 30 * MS } }] });
      const candidate = makeRun({
        runId: 'cand',
        seed: seed + 100,
        series: [{ metrics: { 'startup.exit': 36 * MS } }],
      });
      const report = compareRuns(baseline, candidate);
      const row = rowOf(report.rows, 'container');
      expect(row.verdict, row.reason).toBe('regression');
      expect(row.change!).toBeGreaterThan(0.1);
      expect(row.pValue!).toBeLessThan(0.05);
      expect(row.baselineN).toBe(20);
      expect(report.counts.regression).toBe(1);
    }
    const report = compareRuns(
      makeRun({ runId: 'a', seed: 1, series: [{ metrics: { 'startup.exit': MS } }] }),
      makeRun({ runId: 'b', seed: 2, series: [{ metrics: { 'startup.exit': MS } }] }),
    );
    expect(report.method).toMatch(
      /Mann–Whitney U test \(two-sided.*95% CI of the ratio candidate \/ baseline \(Hodges–Lehmann/,
    );
  });

  it('flags nothing when both runs come from the same noise (several seeds)', () => {
    for (const seed of SEEDS) {
      const spec = { series: [{ metrics: { 'startup.exit': 30 * MS, 'startup.ready': 20 * MS } }] };
      const report = compareRuns(
        makeRun({ runId: 'base', seed, ...spec }),
        makeRun({ runId: 'cand', seed: seed + 100, ...spec }),
      );
      expect(report.counts.regression + report.counts.failed, JSON.stringify(report.rows)).toBe(0);
    }
  });

  it('lets the scenario threshold win over the default, and an explicit one win over both', () => {
    const definition = { name: 'startup', thresholds: { 'startup.exit': 0.3 } };
    const baseline = makeRun({
      runId: 'base',
      seed: 1,
      definition,
      series: [{ metrics: { 'startup.exit': 30 * MS } }],
    });
    const candidate = makeRun({
      runId: 'cand',
      seed: 2,
      definition,
      series: [{ metrics: { 'startup.exit': 36 * MS } }],
    });

    const fromScenario = rowOf(compareRuns(baseline, candidate, { thresholdRatio: 0.05 }).rows, 'container');
    expect(fromScenario.thresholdRatio).toBe(0.3);
    expect(fromScenario.thresholdSource).toBe('scenario');
    expect(fromScenario.verdict).toBe('unchanged');

    const explicit = rowOf(
      compareRuns(baseline, candidate, { perMetricThresholds: { 'startup.exit': 0.1 } }).rows,
      'container',
    );
    expect(explicit.thresholdSource).toBe('option');
    expect(explicit.verdict).toBe('regression');
  });

  it('reads a threshold written as "30%" in a definition as written', () => {
    const definition = { name: 'startup', thresholds: { 'startup.exit': '30%' } };
    const run = makeRun({ runId: 'a', seed: 1, definition, series: [{ metrics: { 'startup.exit': MS } }] });
    expect(rowOf(compareRuns(run, { ...run, runId: 'b' }).rows, 'container').thresholdRatio).toBe(0.3);
  });

  it('refuses runs of different scenarios with an InputError naming both', () => {
    const baseline = makeRun({ runId: 'a', seed: 1, scenario: 'memory', series: [{ metrics: { 'memory.pss': 1e6 } }] });
    const candidate = makeRun({
      runId: 'b',
      seed: 2,
      scenario: 'startup',
      series: [{ metrics: { 'startup.exit': MS } }],
    });
    expect(() => compareRuns(baseline, candidate)).toThrow(InputError);
    expect(() => compareRuns(baseline, candidate)).toThrow(
      'nothing to compare: baseline has scenarios [memory], candidate [startup]',
    );
  });

  it('never compares a TCG series with a KVM one', () => {
    const baseline = makeRun({
      runId: 'a',
      seed: 1,
      series: [
        { target: 'vm', accel: 'kvm', metrics: { 'startup.exit': 300 * MS } },
        { target: 'container', metrics: { 'startup.exit': 30 * MS } },
      ],
    });
    const candidate = makeRun({
      runId: 'b',
      seed: 2,
      series: [
        { target: 'vm', accel: 'tcg', metrics: { 'startup.exit': 2900 * MS } },
        { target: 'container', metrics: { 'startup.exit': 30 * MS } },
      ],
    });
    const report = compareRuns(baseline, candidate);
    const vm = rowOf(report.rows, 'vm');
    expect(vm.verdict).toBe('refused');
    expect(vm.reason).toBe(
      'baseline ran under KVM, candidate under TCG: figures of different accelerators are never compared',
    );
    expect([vm.baselineMedian, vm.candidateMedian, vm.change, vm.pValue]).toEqual([null, null, null, null]);
    expect(vm.accel).toEqual({ baseline: 'kvm', candidate: 'tcg' });
    expect(report.counts.regression).toBe(0);
    expect(report.warnings).toContain('1 metric(s) refused: baseline and candidate differ in accelerator or unit');
  });

  it('counts each earlier run once, only those under the candidate accelerator, and needs five of them', () => {
    const runAt = (runId: string, seed: number, accel: 'kvm' | 'tcg', center: number) =>
      makeRun({ runId, seed, series: [{ target: 'vm', accel, metrics: { 'startup.exit': center } }] });
    const report = compareRuns(
      [runAt('h1', 1, 'tcg', 2900 * MS), runAt('h2', 2, 'kvm', 300 * MS), runAt('h3', 3, 'tcg', 2900 * MS)],
      runAt('cand', 4, 'tcg', 2900 * MS),
    );
    expect(report.mode).toBe('history');
    const vm = rowOf(report.rows, 'vm');
    expect([vm.baselineRuns, vm.baselineN, vm.verdict]).toEqual([2, 40, 'inconclusive']);
    expect(vm.reason).toBe('2 earlier runs; a verdict needs at least 5, each run counting once by its median');
    expect(report.baseline.map((r) => r.runId)).toEqual(['h1', 'h2', 'h3']);
  });

  it('judges against history by run medians, so run-to-run variation is not a regression', () => {
    // Six earlier runs whose centres vary by up to ±9 % from run to run, as runs on a busy host do.
    const centres = [1.0, 1.09, 0.93, 1.06, 0.95, 1.03];
    const history = centres.map((factor, i) =>
      makeRun({ runId: `h${i}`, seed: 20 + i, series: [{ metrics: { 'startup.exit': 30 * MS * factor } }] }),
    );
    const candidate = makeRun({ runId: 'cand', seed: 40, series: [{ metrics: { 'startup.exit': 30 * MS * 1.08 } }] });
    const row = rowOf(compareRuns(history, candidate).rows, 'container');
    expect(row.baselineRuns).toBe(6);
    expect(row.verdict, row.reason).toBe('inconclusive');
    expect(row.reason).toMatch(/within the run-to-run variation, but that variation reaches beyond the 5.0% threshold/);
    expect(row.predictionInterval!.high).toBeGreaterThan(row.candidateMedian!);
    // The same samples pooled as one baseline run call it a regression: what history must not do.
    const pooled = makeRun({ runId: 'pooled', seed: 1, series: [{ metrics: { 'startup.exit': 1 } }] });
    pooled.series[0]!.metrics['startup.exit']!.samples = history.flatMap(
      (run) => run.series[0]!.metrics['startup.exit']!.samples,
    );
    expect(rowOf(compareRuns(pooled, candidate).rows, 'container').verdict).toBe('regression');
  });

  it('flags a candidate far outside steady history as a regression, with the run-to-run range', () => {
    const history = [1, 2, 3, 4, 5].map((seed) =>
      makeRun({ runId: `h${seed}`, seed, series: [{ metrics: { 'startup.exit': 30 * MS } }] }),
    );
    const candidate = makeRun({ runId: 'cand', seed: 9, series: [{ metrics: { 'startup.exit': 36 * MS } }] });
    const row = rowOf(compareRuns(history, candidate).rows, 'container');
    expect(row.verdict, row.reason).toBe('regression');
    expect(row.change!).toBeGreaterThan(0.15);
    expect([row.pValue, row.changeCi]).toEqual([null, null]);
    expect(row.predictionInterval!.high).toBeLessThan(row.candidateMedian!);
    expect(row.baselineMedian!).toBeGreaterThan(row.predictionInterval!.low);
  });

  it('lists series on one side as added/removed, not regressions', () => {
    const baseline = makeRun({
      runId: 'a',
      seed: 1,
      series: [
        { target: 'container', metrics: { 'startup.exit': MS } },
        { target: 'runc', metrics: { 'startup.exit': MS } },
      ],
    });
    const candidate = makeRun({
      runId: 'b',
      seed: 2,
      series: [
        { target: 'container', metrics: { 'startup.exit': MS, 'startup.ready': MS } },
        { target: 'crun', metrics: { 'startup.exit': MS } },
      ],
    });
    const report = compareRuns(baseline, candidate);
    expect(rowOf(report.rows, 'runc').verdict).toBe('removed');
    expect(rowOf(report.rows, 'crun').verdict).toBe('added');
    expect(rowOf(report.rows, 'container', 'startup.ready').verdict).toBe('added');
    expect(report.counts).toMatchObject({ added: 2, removed: 1, regression: 0 });
  });

  it('fails a series whose every candidate iteration failed', () => {
    const baseline = makeRun({ runId: 'a', seed: 1, series: [{ metrics: { 'startup.exit': MS } }] });
    const candidate = makeRun({
      runId: 'b',
      seed: 2,
      series: [{ status: 'failed', metrics: { 'startup.exit': null } }],
    });
    const row = rowOf(compareRuns(baseline, candidate).rows, 'container');
    expect(row.verdict).toBe('failed');
    expect(row.reason).toBe('the candidate recorded no samples (series failed)');
  });

  it('says which scenario fields differ and which host fields differ', () => {
    const baseline = makeRun({
      runId: 'a',
      seed: 1,
      sha256: 'aaaa',
      definition: { name: 'startup', defaults: { iterations: 10, warmup: 1 } },
      series: [{ metrics: { 'startup.exit': MS } }],
    });
    const candidate = makeRun({
      runId: 'b',
      seed: 2,
      sha256: 'bbbb',
      cores: 4,
      definition: { name: 'startup', defaults: { iterations: 20, warmup: 1 } },
      series: [{ metrics: { 'startup.exit': MS } }],
    });
    const report = compareRuns(baseline, candidate);
    expect(report.scenarioDiffs).toEqual([
      {
        scenario: 'startup',
        baselineSha256: 'aaaa',
        candidateSha256: 'bbbb',
        fields: [{ field: 'defaults.iterations', baseline: 10, candidate: 20 }],
        truncated: false,
      },
    ]);
    expect(report.warnings).toEqual([
      'scenario startup differs (sha256 aaaa vs bbbb): defaults.iterations 10 vs 20',
      'baseline run a ran on another host: cpu.cores 2 vs 4',
    ]);
  });

  it('refuses bad options as InputError', () => {
    const run = makeRun({ runId: 'a', seed: 1, series: [{ metrics: { 'startup.exit': MS } }] });
    expect(() => compareRuns(run, run, { thresholdRatio: -0.1 })).toThrow(
      'expected the threshold to be a ratio >= 0, got -0.1',
    );
    expect(() => compareRuns(run, run, { alpha: 1 })).toThrow('expected alpha to be in (0, 1), got 1');
    expect(() => compareRuns([], run)).toThrow(InputError);
  });
});
