import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildHyperfineResults, hyperfineExporter } from '../../src/report/hyperfine.js';
import { buildReportModel } from '../../src/report/model.js';
import { readRun } from '../../src/results/read-run.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/runs');

describe('startup-hyperfine.json', () => {
  it("writes hyperfine's --export-json layout: results with seconds, times and exit codes", async () => {
    const model = buildReportModel([await readRun(path.join(fixtures, 'synthetic-full-tcg'))]);
    const text = await hyperfineExporter.render(model);
    const parsed = JSON.parse(String(text)) as { results: Array<Record<string, unknown>> };
    expect(Object.keys(parsed)).toEqual(['results']);
    expect(parsed.results.map((r) => r.command)).toEqual([
      'native: default/startup',
      'container: default/startup',
      'vm (TCG): default/startup',
      'runc: default/startup',
      'crun: default/startup',
    ]);
    const startup = model.groups.find((g) => g.case === 'startup')!;
    const native = startup.series.find((s) => s.target === 'native')!.metrics.find((m) => m.metric === 'startup.exit')!;
    const result = parsed.results[0]!;
    expect(Object.keys(result)).toEqual(['command', 'mean', 'stddev', 'median', 'min', 'max', 'times', 'exit_codes']);
    expect(result.times).toEqual(native.samples.map((ns) => Number((ns / 1e9).toPrecision(12))));
    expect(result.median).toBeCloseTo(native.summary!.median / 1e9, 12);
    expect(result.stddev).toBeCloseTo(native.summary!.stddev / 1e9, 12);
    expect(result.min).toBe(Math.min(...(result.times as number[])));
    expect(result.exit_codes).toEqual(new Array(10).fill(0));
    // The failed VM iteration has no time, so no exit code either: the arrays stay parallel.
    const vm = parsed.results[2]!;
    expect((vm.times as number[]).length).toBe(6);
    expect((vm.exit_codes as number[]).length).toBe(6);
  });

  it('writes stddev null for one sample and the sweep point as string parameters, as hyperfine does', async () => {
    const run = await readRun(path.join(fixtures, 'synthetic-tiny'));
    const one = structuredClone(run);
    const series = one.series.find((s) => s.target === 'native')!;
    series.point = { instances: 4 };
    series.metrics['startup.exit'] = { unit: 'ns', higherIsWorse: true, samples: [2_500_000] };
    const [result] = buildHyperfineResults(buildReportModel([one]));
    expect(result).toEqual({
      command: 'native: tiny/hello (instances=4)',
      mean: 0.0025,
      stddev: null,
      median: 0.0025,
      min: 0.0025,
      max: 0.0025,
      times: [0.0025],
      exit_codes: [0],
      parameters: { instances: '4' },
    });
  });
});
