// The run history: an embedded SQLite database (<state root>/history.sqlite) of every recorded
// sample, so CI can compare a run with the last N runs of its scenario and plot trends over commits.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { InputError, IntegrityError } from '../errors.js';
import { median } from '../stats/index.js';
import type { MetricSeries, RunResult, Series } from '../suite/run-schema.js';
import type { Accel } from '../vocabulary.js';
import { migrateHistory } from './history-schema.js';

export const HISTORY_FILE_NAME = 'history.sqlite';
/** How long a writer waits for another process's lock before SQLITE_BUSY, in ms. */
const BUSY_TIMEOUT_MS = 10_000;
/** Upper bound of `limit` arguments: a sanity cap, not a design figure. */
const MAX_LIMIT = 100_000;

export type HistoryDb = Database.Database;

/** <root>/history.sqlite. */
export function historyPath(root: string): string {
  return path.join(root, HISTORY_FILE_NAME);
}

/**
 * Opens (creating it and its directory when missing) and migrates the history database, in WAL
 * mode with a busy timeout so the suite runner and a `history` query can share it. Close it with db.close().
 */
export function openHistory(file: string): HistoryDb {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  let db: HistoryDb;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw openError(file, error);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    migrateHistory(db, file);
  } catch (error) {
    db.close();
    throw openError(file, error);
  }
  return db;
}

/** SQLite's refusals to open `file`, as errors naming the file and the fix (others unchanged). */
function openError(file: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new IntegrityError(`the run history ${file} is not a valid SQLite database (${code})`, {
      hint: 'move it aside; `isobench history --add <run-dir>` records runs into a new one',
      cause: error,
    });
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return new InputError(`cannot open the run history ${file} for writing (${code})`, {
      hint: 'give --root (or ISOBENCH_ROOT) a writable state root',
      cause: error,
    });
  }
  return error;
}

/** The host a run is filed under: the fingerprint's hostname, or 'unknown'. */
export function hostOf(run: RunResult): string {
  const hostname = run.environment.hostname;
  return typeof hostname === 'string' && hostname.length > 0 ? hostname : 'unknown';
}

/**
 * Records a run and all its recorded samples. Idempotent: a run_id already present is replaced,
 * all in one transaction (a reader sees the old run or the new one).
 * @param runPath - where the run directory lives, stored for people (not read back).
 * @returns the number of samples stored.
 */
export function appendRun(db: HistoryDb, run: RunResult, runPath: string): { samples: number } {
  const deleteRun = db.prepare('DELETE FROM runs WHERE run_id = ?');
  const insertRun = db.prepare(
    `INSERT INTO runs (run_id, started_at, commit_sha, host, isobench_version, status, path, environment_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertScenario = db.prepare(
    'INSERT INTO run_scenarios (run_id, name, file, sha256, definition_json) VALUES (?, ?, ?, ?, ?)',
  );
  const insertSample = db.prepare(
    `INSERT INTO samples (run_id, scenario, case_name, point_json, target, accel, measure, metric, unit,
       higher_is_worse, iteration, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return db.transaction(() => {
    // ON DELETE CASCADE removes the old run's scenarios and samples.
    deleteRun.run(run.runId);
    insertRun.run(
      run.runId,
      run.startedAt,
      run.isobench.commit,
      hostOf(run),
      run.isobench.version,
      run.status,
      runPath,
      JSON.stringify(run.environment),
    );
    for (const s of run.scenarios) {
      insertScenario.run(run.runId, s.name, s.file, s.sha256, JSON.stringify(s.definition ?? null));
    }
    let count = 0;
    for (const series of run.series) {
      const point = canonicalPoint(series.point);
      for (const [metric, data] of Object.entries(series.metrics)) {
        const indices = iterationIndices(series, metric, data);
        data.samples.forEach((value, i) => {
          insertSample.run(
            run.runId,
            series.scenario,
            series.case,
            point,
            series.target,
            series.accel ?? null,
            series.measure,
            metric,
            data.unit,
            data.higherIsWorse ? 1 : 0,
            indices[i] ?? i,
            value,
          );
          count += 1;
        });
      }
    }
    return { samples: count };
  })();
}

export interface LastRunsQuery {
  scenario: string;
  /** Only runs filed under this host (see hostOf). */
  host?: string;
  /** At most this many runs, a positive integer. */
  limit: number;
  /** Leave this run out (the candidate itself, when the runner already recorded it). */
  excludeRunId?: string;
}

/**
 * The last `limit` finished runs that hold samples of `scenario`, newest first, rebuilt from the
 * stored samples as RunResults holding only that scenario's series. Enough for compareRuns:
 * iterations are not stored (series.iterations is []), summaries are left out, overrides are {}.
 */
export function lastRuns(db: HistoryDb, query: LastRunsQuery): RunResult[] {
  const limit = checkLimit(query.limit);
  const runs = db
    .prepare(
      `SELECT * FROM runs r
       WHERE r.status != 'running'
         AND EXISTS (SELECT 1 FROM samples s WHERE s.run_id = r.run_id AND s.scenario = @scenario)
         AND (@host IS NULL OR r.host = @host)
         AND (@exclude IS NULL OR r.run_id != @exclude)
       ORDER BY r.started_at DESC, r.run_id DESC
       LIMIT @limit`,
    )
    .all({
      scenario: query.scenario,
      host: query.host ?? null,
      exclude: query.excludeRunId ?? null,
      limit,
    }) as RunRow[];
  const samplesOf = db.prepare('SELECT * FROM samples WHERE run_id = ? AND scenario = ? ORDER BY rowid');
  const scenarioOf = db.prepare('SELECT * FROM run_scenarios WHERE run_id = ? AND name = ?');
  return runs.map((row) => {
    const samples = samplesOf.all(row.run_id, query.scenario) as SampleRow[];
    const scenario = scenarioOf.get(row.run_id, query.scenario) as ScenarioRow | undefined;
    return rebuildRun(row, scenario, samples);
  });
}

export interface TrendQuery {
  scenario?: string;
  metric?: string;
  target?: string;
  /** The newest this many runs (default 20), a positive integer. */
  limit?: number;
}

/** One point of a trend: the median of one series x metric in one run. */
export interface TrendRow {
  runId: string;
  commit: string | null;
  /** ISO 8601 start of the run. */
  startedAt: string;
  host: string;
  scenario: string;
  case: string;
  point: Record<string, number | string>;
  target: string;
  accel: Accel | null;
  metric: string;
  /** Base unit of `median`. */
  unit: string;
  median: number;
  /** Samples behind the median. */
  n: number;
}

/**
 * Medians per run of every matching series x metric, over the newest `limit` runs holding a match,
 * oldest run first (ready for a chart); rows of a run keep the order they were recorded in.
 */
export function trend(db: HistoryDb, query: TrendQuery = {}): TrendRow[] {
  const limit = checkLimit(query.limit ?? 20);
  const filter = `(@scenario IS NULL OR s.scenario = @scenario)
    AND (@metric IS NULL OR s.metric = @metric)
    AND (@target IS NULL OR s.target = @target)`;
  const rows = db
    .prepare(
      `WITH chosen AS (
         SELECT r.run_id FROM runs r
         WHERE r.status != 'running' AND EXISTS (SELECT 1 FROM samples s WHERE s.run_id = r.run_id AND ${filter})
         ORDER BY r.started_at DESC, r.run_id DESC LIMIT @limit)
       SELECT s.*, r.started_at, r.commit_sha, r.host FROM samples s JOIN runs r ON r.run_id = s.run_id
       WHERE s.run_id IN (SELECT run_id FROM chosen) AND ${filter}
       ORDER BY r.started_at, r.run_id, s.rowid`,
    )
    .all({
      scenario: query.scenario ?? null,
      metric: query.metric ?? null,
      target: query.target ?? null,
      limit,
    }) as Array<SampleRow & { started_at: string; commit_sha: string | null; host: string }>;
  const groups = new Map<string, { first: (typeof rows)[number]; values: number[] }>();
  for (const row of rows) {
    const key = JSON.stringify([
      row.run_id,
      row.scenario,
      row.case_name,
      row.point_json,
      row.target,
      row.accel,
      row.metric,
    ]);
    const group = groups.get(key);
    if (group) group.values.push(row.value);
    else groups.set(key, { first: row, values: [row.value] });
  }
  return [...groups.values()].map(({ first, values }) => ({
    runId: first.run_id,
    commit: first.commit_sha,
    startedAt: first.started_at,
    host: first.host,
    scenario: first.scenario,
    case: first.case_name,
    point: JSON.parse(first.point_json) as Record<string, number | string>,
    target: first.target,
    accel: first.accel as Accel | null,
    metric: first.metric,
    unit: first.unit,
    median: median(values),
    n: values.length,
  }));
}

/**
 * Records a finished run in <root>/history.sqlite, opening and closing the database around it.
 * Called by the suite runner after each run; safe to call again for the same run.
 */
export async function recordRunInHistory(root: string, run: RunResult, runPath: string): Promise<void> {
  const db = openHistory(historyPath(root));
  try {
    appendRun(db, run, runPath);
  } finally {
    db.close();
  }
}

interface RunRow {
  run_id: string;
  started_at: string;
  commit_sha: string | null;
  host: string;
  isobench_version: string;
  status: string;
  path: string;
  environment_json: string;
}

interface ScenarioRow {
  name: string;
  file: string;
  sha256: string;
  definition_json: string;
}

interface SampleRow {
  run_id: string;
  scenario: string;
  case_name: string;
  point_json: string;
  target: string;
  accel: string | null;
  measure: string;
  metric: string;
  unit: string;
  higher_is_worse: number;
  iteration: number;
  value: number;
}

function rebuildRun(row: RunRow, scenario: ScenarioRow | undefined, samples: SampleRow[]): RunResult {
  const seriesByKey = new Map<string, Series>();
  for (const sample of samples) {
    const key = JSON.stringify([sample.case_name, sample.point_json, sample.target, sample.accel]);
    let series = seriesByKey.get(key);
    if (!series) {
      series = {
        scenario: sample.scenario,
        case: sample.case_name,
        measure: sample.measure as Series['measure'],
        point: JSON.parse(sample.point_json) as Series['point'],
        target: sample.target as Series['target'],
        status: 'ok',
        ...(sample.accel ? { accel: sample.accel as Accel } : {}),
        iterations: [],
        metrics: {},
      };
      seriesByKey.set(key, series);
    }
    let metric = series.metrics[sample.metric];
    if (!metric) {
      metric = { unit: sample.unit as MetricSeries['unit'], higherIsWorse: sample.higher_is_worse === 1, samples: [] };
      series.metrics[sample.metric] = metric;
    }
    metric.samples.push(sample.value);
  }
  return {
    schemaVersion: 1,
    runId: row.run_id,
    status: row.status as RunResult['status'],
    startedAt: row.started_at,
    isobench: { version: row.isobench_version, commit: row.commit_sha, dirty: null },
    environment: JSON.parse(row.environment_json) as Record<string, unknown>,
    scenarios: scenario
      ? [
          {
            name: scenario.name,
            file: scenario.file,
            sha256: scenario.sha256,
            definition: JSON.parse(scenario.definition_json) as unknown,
          },
        ]
      : [],
    overrides: {},
    series: [...seriesByKey.values()],
  };
}

/** Iteration index of each recorded sample: the n-th ok, non-warm-up iteration with that metric. */
function iterationIndices(series: Series, metric: string, data: MetricSeries): number[] {
  const recorded = series.iterations.filter((it) => !it.warmup && it.ok && it.values[metric] !== undefined);
  // When the iterations do not line up with the samples (e.g. a hand-made file), fall back to positions.
  return recorded.length === data.samples.length ? recorded.map((it) => it.index) : [];
}

function canonicalPoint(point: Series['point']): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(point)
        .sort()
        .map((k) => [k, point[k]]),
    ),
  );
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InputError(`expected the limit to be an integer from 1 to ${MAX_LIMIT}, got ${limit}`, {
      hint: 'e.g. --last 5 or --limit 20',
    });
  }
  return limit;
}
