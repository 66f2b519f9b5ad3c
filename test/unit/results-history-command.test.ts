import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { historyCommand } from '../../src/cli/commands/history.js';
import { describeTitle } from '../../src/report/history-chart.js';
import type { TrendRow } from '../../src/results/history.js';
import { makeCapturedContext } from '../fixtures/compare/cli-context.js';
import { makeRun, writeRunDir } from '../fixtures/compare/make-run.js';

const MS = 1e6;

describe('historyCommand', () => {
  let dir: string;
  let root: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-history-cmd-'));
    root = path.join(dir, 'root');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function addTwoRuns(): Promise<void> {
    const runs = [
      makeRun({
        runId: 'run-1',
        seed: 1,
        n: 5,
        commit: '1111111aaaa',
        startedAt: '2025-01-14T09:00:00.000Z',
        series: [
          { target: 'container', metrics: { 'startup.exit': 30 * MS } },
          { target: 'vm', accel: 'tcg', metrics: { 'startup.exit': 2900 * MS } },
        ],
      }),
      makeRun({
        runId: 'run-2',
        seed: 2,
        n: 5,
        commit: null,
        startedAt: '2025-01-15T09:00:00.000Z',
        series: [{ target: 'container', metrics: { 'startup.exit': 31 * MS, 'startup.ready': 20 * MS } }],
      }),
    ];
    for (const run of runs) {
      const { ctx, stderr } = makeCapturedContext(root);
      expect(await historyCommand(ctx, { add: await writeRunDir(dir, run), json: true })).toBe(0);
      expect(stderr()).toContain(`recorded run ${run.runId} (`);
    }
  }

  it('says there is nothing yet without creating the database', async () => {
    const { ctx, stderr, stdout } = makeCapturedContext(root);
    expect(await historyCommand(ctx, { json: true })).toBe(0);
    expect(stdout()).toBe('[]\n');
    expect(stderr()).toMatch(/no runs recorded yet/);
  });

  it('prints the trend table oldest run first, and JSON in base units', async () => {
    await addTwoRuns();
    const table = makeCapturedContext(root);
    expect(await historyCommand(table.ctx, { metric: 'startup.exit' })).toBe(0);
    const lines = table.stdout().trimEnd().split('\n');
    expect(lines[0]).toBe('RUN    DATE              COMMIT   SCENARIO  CASE   TARGET     METRIC        MEDIAN   N');
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/).filter((_, i) => i !== 6))).toEqual([
      ['run-1', '2025-01-14 09:00', '1111111', 'startup', 'hello', 'container', expect.stringMatching(/ ms$/), '5'],
      ['run-1', '2025-01-14 09:00', '1111111', 'startup', 'hello', 'vm (tcg)', expect.stringMatching(/ s$/), '5'],
      ['run-2', '2025-01-15 09:00', '-', 'startup', 'hello', 'container', expect.stringMatching(/ ms$/), '5'],
    ]);

    const json = makeCapturedContext(root);
    await historyCommand(json.ctx, { json: true, target: 'container', metric: 'startup.exit', limit: '1' });
    const rows = JSON.parse(json.stdout()) as TrendRow[];
    expect(rows.map((r) => [r.runId, r.metric, r.unit, r.n])).toEqual([['run-2', 'startup.exit', 'ns', 5]]);
    expect(rows[0]!.median).toBeGreaterThan(25 * MS);
  });

  it('writes an SVG and a PNG trend chart of one metric', async () => {
    await addTwoRuns();
    const svgFile = path.join(dir, 'trend.svg');
    const { ctx } = makeCapturedContext(root);
    expect(await historyCommand(ctx, { metric: 'startup.exit', chart: svgFile })).toBe(0);
    const svg = await readFile(svgFile, 'utf8');
    expect(svg).toMatch(/<svg[\s>]/);
    const pngFile = path.join(dir, 'trend.png');
    await historyCommand(ctx, { metric: 'startup.exit', chart: pngFile });
    expect((await readFile(pngFile)).subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
  });

  it('titles the chart with the metric, unit and the VM accelerator', () => {
    const row = { scenario: 'startup', target: 'vm', accel: 'tcg' } as TrendRow;
    expect(describeTitle([row], 'startup.exit', 'ns')).toBe('startup.exit (ns) — scenario startup — vm under TCG');
  });

  it('refuses a chart of several metrics, a bad extension and a bad limit', async () => {
    await addTwoRuns();
    const { ctx } = makeCapturedContext(root);
    await expect(historyCommand(ctx, { chart: path.join(dir, 't.svg') })).rejects.toThrow(
      'expected the chart to show one metric, got startup.exit, startup.ready',
    );
    await expect(historyCommand(ctx, { chart: path.join(dir, 't.jpg') })).rejects.toThrow(
      /expected the chart file to end in \.png or \.svg/,
    );
    await expect(historyCommand(ctx, { limit: 'ten' })).rejects.toThrow(
      'expected --limit to be a whole number of runs from 1 to 99999, got ten',
    );
  });
});
