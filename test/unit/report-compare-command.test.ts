import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareCommand, parseThreshold } from '../../src/cli/commands/compare.js';
import { InputError } from '../../src/errors.js';
import { recordRunInHistory } from '../../src/results/history.js';
import { makeCapturedContext } from '../fixtures/compare/cli-context.js';
import { makeRun, writeRunDir } from '../fixtures/compare/make-run.js';

const MS = 1e6;
const SEEDS = [1, 2, 3, 4, 5];

describe('compareCommand', () => {
  let dir: string;
  let root: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-compare-'));
    root = path.join(dir, 'root');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const runAt = (runId: string, seed: number, exitNs: number, startedAt = '2025-01-15T10:00:00.000Z') =>
    makeRun({ runId, seed, startedAt, series: [{ metrics: { 'startup.exit': exitNs, 'startup.ready': 20 * MS } }] });

  it('exits 1 on an injected 20% regression of startup.exit, in every format', async () => {
    const baseline = await writeRunDir(dir, runAt('base', 1, 30 * MS));
    const candidate = await writeRunDir(dir, runAt('cand', 2, 36 * MS));
    const md = makeCapturedContext(root);
    expect(await compareCommand(md.ctx, baseline, candidate, { threshold: '5%' })).toBe(1);
    expect(md.stdout()).toMatch(/^## isobench compare: ❌ 1 regression/);
    expect(md.stdout()).toMatch(/\| startup\.exit \| container \| hello \| .* \| ❌ regression \|/);

    const junitFile = path.join(dir, 'compare.xml');
    const junit = makeCapturedContext(root);
    expect(await compareCommand(junit.ctx, baseline, candidate, { format: 'junit', output: junitFile })).toBe(1);
    expect(await readFile(junitFile, 'utf8')).toBe(junit.stdout());
    expect(junit.stdout()).toContain('<failure message="regression: ');

    const json = makeCapturedContext(root);
    expect(await compareCommand(json.ctx, baseline, candidate, { format: 'json' })).toBe(1);
    expect(JSON.parse(json.stdout()).counts.regression).toBe(1);
  });

  it('exits 0 for two runs drawn from the same noise (several seeds)', async () => {
    for (const seed of SEEDS) {
      const baseline = await writeRunDir(dir, runAt(`base-${seed}`, seed, 30 * MS));
      const candidate = await writeRunDir(dir, runAt(`cand-${seed}`, seed + 100, 30 * MS));
      const { ctx, stdout } = makeCapturedContext(root);
      expect(await compareCommand(ctx, baseline, candidate, {}), stdout()).toBe(0);
    }
  });

  it('throws InputError (exit 2) for different scenarios, naming both', async () => {
    const baseline = await writeRunDir(
      dir,
      makeRun({ runId: 'm', seed: 1, scenario: 'memory', series: [{ metrics: { 'memory.pss': 3e6 } }] }),
    );
    const candidate = await writeRunDir(dir, runAt('s', 2, 30 * MS));
    const { ctx } = makeCapturedContext(root);
    const result = compareCommand(ctx, baseline, candidate, {});
    await expect(result).rejects.toThrow(InputError);
    await expect(compareCommand(ctx, baseline, candidate, {})).rejects.toThrow(
      'nothing to compare: baseline has scenarios [memory], candidate [startup]',
    );
  });

  it('refuses bad flags as InputError', async () => {
    const run = await writeRunDir(dir, runAt('a', 1, MS));
    const { ctx } = makeCapturedContext(root);
    await expect(compareCommand(ctx, run, run, { threshold: '5' })).rejects.toThrow(
      'expected --threshold to be a percentage like 5% or a ratio below 1 like 0.05, got 5',
    );
    await expect(compareCommand(ctx, run, run, { format: 'xml' })).rejects.toThrow(
      'expected --format to be one of md, json, junit, got xml',
    );
    await expect(compareCommand(ctx, run, undefined, {})).rejects.toThrow(
      'expected a baseline and a candidate run, got one run',
    );
    await expect(compareCommand(ctx, 'history', run, {})).rejects.toThrow("baseline 'history' needs --against history");
    expect(parseThreshold('12.5%')).toBe(0.125);
    expect(parseThreshold('0.05')).toBe(0.05);
  });

  it('--against history judges by the last N runs of the host, each once, end to end', async () => {
    const { ctx } = makeCapturedContext(root);
    const candidateDir = await writeRunDir(dir, runAt('cand', 50, 36 * MS, '2025-01-20T10:00:00.000Z'));
    await expect(compareCommand(ctx, candidateDir, undefined, { against: 'history' })).rejects.toThrow(
      /nothing to compare: there is no history yet/,
    );

    for (const day of [10, 11, 12, 13, 14, 15, 16]) {
      const run = runAt(`h-${day}`, day, 30 * MS, `2025-01-${day}T10:00:00.000Z`);
      await recordRunInHistory(root, run, `/runs/h-${day}`);
    }
    // A run of another host never joins the baseline.
    const other = makeRun({
      runId: 'other-host',
      seed: 99,
      hostname: 'bench-2',
      startedAt: '2025-01-19T10:00:00.000Z',
      series: [{ metrics: { 'startup.exit': 36 * MS, 'startup.ready': 20 * MS } }],
    });
    await recordRunInHistory(root, other, '/runs/other');
    // The suite runner records the candidate itself before compare runs: it must not be its own baseline.
    await recordRunInHistory(root, runAt('cand', 50, 36 * MS, '2025-01-20T10:00:00.000Z'), candidateDir);

    const regressed = makeCapturedContext(root);
    expect(await compareCommand(regressed.ctx, candidateDir, undefined, { against: 'history', format: 'json' })).toBe(
      1,
    );
    const report = JSON.parse(regressed.stdout());
    expect(report.baseline.map((r: { runId: string }) => r.runId)).toEqual(['h-16', 'h-15', 'h-14', 'h-13', 'h-12']);
    const exit = report.rows.find((r: { metric: string }) => r.metric === 'startup.exit');
    expect([exit.baselineRuns, exit.baselineN, exit.verdict]).toEqual([5, 100, 'regression']);

    // Two earlier runs are too few for a verdict: inconclusive, and the markdown says why.
    const lastTwo = makeCapturedContext(root);
    expect(await compareCommand(lastTwo.ctx, 'history', candidateDir, { against: 'history', last: '2' })).toBe(0);
    expect(lastTwo.stdout()).toContain(
      'Baseline: 2 earlier runs, each counted once by its median (h-16, h-15; commits abcdef0)',
    );
    expect(lastTwo.stdout()).toContain(
      '2 earlier runs; a verdict needs at least 5, each run counting once by its median',
    );

    const steady = await writeRunDir(dir, runAt('steady', 60, 30 * MS, '2025-01-21T10:00:00.000Z'));
    const fine = makeCapturedContext(root);
    expect(await compareCommand(fine.ctx, steady, undefined, { against: 'history' }), fine.stdout()).toBe(0);

    await expect(compareCommand(ctx, candidateDir, candidateDir, { against: 'history' })).rejects.toThrow(
      /with --against history give only the candidate run/,
    );
    await expect(compareCommand(ctx, candidateDir, undefined, { against: 'history', last: '0' })).rejects.toThrow(
      'expected --last to be a whole number of runs from 1 to 9999, got 0',
    );
  });
});
