// A history file written by an older isobench (schema version 1, as it shipped) is migrated on
// open, not refused: its runs keep their samples in recorded order and their hostname as label.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastRuns, openHistory, readStoredRun, trend } from '../../src/results/history.js';
import { HISTORY_SCHEMA_VERSION } from '../../src/results/history-schema.js';

/** Version 1 exactly as the first history shipped it. */
const V1_SCHEMA = `
  CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, commit_sha TEXT, host TEXT NOT NULL,
    isobench_version TEXT NOT NULL, status TEXT NOT NULL, path TEXT NOT NULL, environment_json TEXT NOT NULL);
  CREATE INDEX runs_by_host_time ON runs (host, started_at);
  CREATE INDEX runs_by_commit ON runs (commit_sha);
  CREATE TABLE run_scenarios (run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE, name TEXT NOT NULL,
    file TEXT NOT NULL, sha256 TEXT NOT NULL, definition_json TEXT NOT NULL, PRIMARY KEY (run_id, name));
  CREATE TABLE samples (run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE, scenario TEXT NOT NULL,
    case_name TEXT NOT NULL, point_json TEXT NOT NULL, target TEXT NOT NULL, accel TEXT, measure TEXT NOT NULL,
    metric TEXT NOT NULL, unit TEXT NOT NULL, higher_is_worse INTEGER NOT NULL, iteration INTEGER NOT NULL,
    value REAL NOT NULL);
  CREATE INDEX samples_by_series ON samples (scenario, target, metric, run_id);
  CREATE INDEX samples_by_run ON samples (run_id);
  CREATE TABLE schema_version (version INTEGER NOT NULL);
  INSERT INTO schema_version (version) VALUES (1);
`;

describe('history migration from schema version 1', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-history-v1-'));
    file = path.join(dir, 'history.sqlite');
    const old = new Database(file);
    old.exec(V1_SCHEMA);
    const run = old.prepare('INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const scenario = old.prepare('INSERT INTO run_scenarios VALUES (?, ?, ?, ?, ?)');
    const sample = old.prepare('INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    // Two runs whose samples interleave in rowid order, as two appends never did but a copy might.
    for (const [id, day] of [
      ['old-1', '14'],
      ['old-2', '15'],
    ] as const) {
      run.run(
        id,
        `2025-01-${day}T09:00:00.000Z`,
        'abc',
        'old-box',
        '0.1.0',
        'complete',
        `/r/${id}`,
        '{"hostname":"old-box"}',
      );
      scenario.run(id, 'startup', 'scenarios/startup.yaml', 'sha', '{}');
    }
    for (const value of [3, 1, 2]) {
      for (const id of ['old-1', 'old-2']) {
        sample.run(
          id,
          'startup',
          'hello',
          '{}',
          'container',
          null,
          'startup',
          'startup.exit',
          'ns',
          1,
          value,
          value * 1e6,
        );
      }
    }
    old.close();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is brought to the current version with its rows intact and in recorded order', async () => {
    const db = await openHistory(file);
    try {
      expect(await db.all('SELECT version FROM schema_version')).toEqual([{ version: HISTORY_SCHEMA_VERSION }]);
      const stored = await readStoredRun(db, 'old-2');
      expect(stored!.run).toMatchObject({ host: 'old-box', host_label: 'old-box', host_class: null });
      expect(stored!.samples.map((s) => [s.seq, s.value])).toEqual([
        [0, 3e6],
        [1, 1e6],
        [2, 2e6],
      ]);
      const [newest] = await lastRuns(db, { scenario: 'startup', host: 'old-box', limit: 1 });
      expect(newest!.runId).toBe('old-2');
      expect(newest!.series[0]!.metrics['startup.exit']!.samples).toEqual([3e6, 1e6, 2e6]);
      expect((await trend(db)).map((r) => [r.runId, r.hostLabel, r.median])).toEqual([
        ['old-1', 'old-box', 2e6],
        ['old-2', 'old-box', 2e6],
      ]);
    } finally {
      await db.close();
    }
    // Opening again finds nothing to do.
    await (await openHistory(file)).close();
  });
});
