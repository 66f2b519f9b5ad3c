import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/report/compare.js';
import {
  appendRun,
  type HistoryDb,
  historyPath,
  lastRuns,
  openHistory,
  recordRunInHistory,
  trend,
} from '../../src/results/history.js';
import { parseHistoryLocation } from '../../src/results/history-location.js';
import { HISTORY_SCHEMA_VERSION } from '../../src/results/history-schema.js';
import { median } from '../../src/stats/index.js';
import { makeRun } from '../fixtures/compare/make-run.js';

const MS = 1e6;

function makeTwoRuns() {
  const older = makeRun({
    runId: 'run-1',
    seed: 1,
    commit: 'aaaaaaa1',
    startedAt: '2025-01-14T09:00:00.000Z',
    series: [
      { target: 'container', metrics: { 'startup.exit': 30 * MS, 'startup.ready': 25 * MS } },
      { target: 'vm', accel: 'tcg', point: { memory: 268435456 }, metrics: { 'startup.exit': 2900 * MS } },
    ],
  });
  const newer = makeRun({
    runId: 'run-2',
    seed: 2,
    commit: 'bbbbbbb2',
    startedAt: '2025-01-15T09:00:00.000Z',
    series: [{ target: 'container', metrics: { 'startup.exit': 31 * MS, 'startup.ready': 25 * MS } }],
  });
  return { older, newer };
}

describe('history database', () => {
  let dir: string;
  let db: HistoryDb;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-history-'));
    db = await openHistory(historyPath(dir));
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is created in WAL mode at the current schema version', async () => {
    expect(await db.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await db.all('SELECT version FROM schema_version')).toEqual([{ version: HISTORY_SCHEMA_VERSION }]);
    // Opening again migrates nothing and keeps one version row.
    await (await openHistory(historyPath(dir))).close();
    expect(await db.all('SELECT COUNT(*) AS n FROM schema_version')).toEqual([{ n: 1 }]);
  });

  it('refuses a database written by a newer isobench, changing nothing', async () => {
    await db.run('UPDATE schema_version SET version = ?', [HISTORY_SCHEMA_VERSION + 1]);
    await expect(openHistory(historyPath(dir))).rejects.toThrow(
      `has schema version ${HISTORY_SCHEMA_VERSION + 1}; this isobench knows up to ${HISTORY_SCHEMA_VERSION}`,
    );
    expect(await db.all('SELECT version FROM schema_version')).toEqual([{ version: HISTORY_SCHEMA_VERSION + 1 }]);
  });

  it('round-trips two runs: lastRuns newest first with the same samples, ready for compareRuns', async () => {
    const { older, newer } = makeTwoRuns();
    expect(await appendRun(db, older, '/runs/run-1')).toEqual({ samples: 60, inserted: true });
    expect(await appendRun(db, newer, '/runs/run-2')).toEqual({ samples: 40, inserted: true });

    const runs = await lastRuns(db, { scenario: 'startup', limit: 5 });
    expect(runs.map((r) => r.runId)).toEqual(['run-2', 'run-1']);
    const back = runs[1]!;
    expect(back.isobench.commit).toBe('aaaaaaa1');
    expect(back.environment).toEqual(older.environment);
    expect(back.scenarios).toEqual(older.scenarios);
    const vm = back.series.find((s) => s.target === 'vm')!;
    expect(vm.accel).toBe('tcg');
    expect(vm.point).toEqual({ memory: 268435456 });
    expect(vm.metrics['startup.exit']).toEqual(older.series[1]!.metrics['startup.exit']);
    expect(back.series.find((s) => s.target === 'container')!.metrics).toEqual(older.series[0]!.metrics);

    // A rebuilt run compares like the original.
    const fromHistory = compareRuns(back, newer);
    const original = compareRuns(older, newer);
    expect(fromHistory.rows.map((r) => [r.target, r.metric, r.verdict, r.pValue])).toEqual(
      original.rows.map((r) => [r.target, r.metric, r.verdict, r.pValue]),
    );

    expect((await lastRuns(db, { scenario: 'startup', limit: 1 })).map((r) => r.runId)).toEqual(['run-2']);
    expect((await lastRuns(db, { scenario: 'startup', limit: 5, excludeRunId: 'run-2' })).map((r) => r.runId)).toEqual([
      'run-1',
    ]);
    expect(await lastRuns(db, { scenario: 'startup', host: 'elsewhere', limit: 5 })).toEqual([]);
    expect(await lastRuns(db, { scenario: 'memory', limit: 5 })).toEqual([]);
  });

  it('gives trend medians that match the samples, oldest run first', async () => {
    const { older, newer } = makeTwoRuns();
    await appendRun(db, older, '/runs/run-1');
    await appendRun(db, newer, '/runs/run-2');
    const rows = await trend(db, { metric: 'startup.exit', target: 'container' });
    expect(rows.map((r) => [r.runId, r.commit, r.n])).toEqual([
      ['run-1', 'aaaaaaa1', 20],
      ['run-2', 'bbbbbbb2', 20],
    ]);
    expect(rows[0]!.median).toBe(median(older.series[0]!.metrics['startup.exit']!.samples));
    expect(rows[1]!.median).toBe(median(newer.series[0]!.metrics['startup.exit']!.samples));
    expect((await trend(db, { metric: 'startup.exit', limit: 1 })).map((r) => r.runId)).toEqual(['run-2']);
    expect(await trend(db, { scenario: 'startup' })).toHaveLength(5);
    await expect(trend(db, { limit: 0 })).rejects.toThrow(
      'expected the limit to be an integer from 1 to 100000, got 0',
    );
  });

  it('re-adding a run id changes nothing (idempotent on the run id)', async () => {
    const { older } = makeTwoRuns();
    expect(await appendRun(db, older, '/runs/run-1')).toEqual({ samples: 60, inserted: true });
    expect(await appendRun(db, older, '/runs/run-1')).toEqual({ samples: 0, inserted: false });
    expect(await recordRunInHistory(parseHistoryLocation(historyPath(dir)), older, '/moved/run-1')).toEqual({
      samples: 0,
      inserted: false,
    });
    // A different run under the same id does not replace or add to the stored one.
    const fewer = makeRun({ runId: 'run-1', seed: 9, n: 5, series: [{ metrics: { 'startup.exit': MS } }] });
    expect(await appendRun(db, fewer, '/runs/other')).toEqual({ samples: 0, inserted: false });
    expect(await db.all('SELECT COUNT(*) AS n FROM samples')).toEqual([{ n: 60 }]);
    expect(await db.all('SELECT run_id, path FROM runs')).toEqual([{ run_id: 'run-1', path: '/runs/run-1' }]);
    expect(await db.all('SELECT COUNT(*) AS n FROM run_scenarios')).toEqual([{ n: 1 }]);
  });

  it('stores iteration indices of the recorded samples', async () => {
    const { newer } = makeTwoRuns();
    await appendRun(db, newer, '/runs/run-2');
    const iterations = (
      await db.all<{ iteration: number }>("SELECT iteration FROM samples WHERE metric = 'startup.exit' ORDER BY seq")
    ).map((r) => r.iteration);
    expect(iterations).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
