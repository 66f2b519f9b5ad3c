// The run history: every recorded sample of every run, in SQLite (<state root>/history.sqlite, the
// default) or PostgreSQL (a team's shared history), so CI can compare a run with the last N runs of
// its scenario on its host and plot trends over commits. One set of queries serves both backends.
import { InputError } from '../errors.js';
import { median } from '../stats/index.js';
import { type MetricSeries, RESULT_SCHEMA_VERSION, type RunResult, type Series } from '../suite/run-schema.js';
import type { Accel } from '../vocabulary.js';
import type { HistoryLocation } from './history-location.js';
import { migrateHistory } from './history-schema.js';
import type { HistorySql, SqlValue } from './history-sql.js';
import { openSqliteHistory } from './history-sqlite.js';

export { HISTORY_FILE_NAME, historyPath } from './history-location.js';

/** Upper bound of `limit` arguments: a sanity cap, not a design figure. */
const MAX_LIMIT = 100_000;
/** Sample rows per INSERT statement: 13 parameters each, well under both engines' limits. */
const SAMPLE_ROWS_PER_INSERT = 200;

export type HistoryDb = HistorySql;

/**
 * Opens (creating a SQLite file and its directory when missing) and migrates the history at
 * `location`: a HistoryLocation, or a SQLite file path. Close it with db.close().
 */
export async function openHistory(location: HistoryLocation | string): Promise<HistoryDb> {
  const where = typeof location === 'string' ? { kind: 'sqlite' as const, file: location, where: location } : location;
  const db =
    where.kind === 'sqlite'
      ? openSqliteHistory(where.file)
      : await (await import('./history-postgres.js')).openPostgresHistory(where.url, where.where);
  try {
    await migrateHistory(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/**
 * The host a run is filed under: its host key (environment.host.key, a hash of the machine id),
 * else, for runs recorded before host identity, the fingerprint's hostname, else 'unknown'.
 */
export function hostOf(run: RunResult): string {
  const host = run.environment.host as { key?: unknown } | undefined;
  if (typeof host?.key === 'string' && host.key.length > 0) return host.key;
  const hostname = run.environment.hostname;
  return typeof hostname === 'string' && hostname.length > 0 ? hostname : 'unknown';
}

/** What people call the run's host: the user-set label, else the hostname. */
function hostLabelOf(run: RunResult): string {
  const host = run.environment.host as { label?: unknown } | undefined;
  if (typeof host?.label === 'string' && host.label.length > 0) return host.label;
  const hostname = run.environment.hostname;
  return typeof hostname === 'string' && hostname.length > 0 ? hostname : 'unknown';
}

/** The runner class the run was recorded with (--host-class), or null. */
function hostClassOf(run: RunResult): string | null {
  const host = run.environment.host as { class?: unknown } | undefined;
  return typeof host?.class === 'string' && host.class.length > 0 ? host.class : null;
}

/** One run exactly as stored: its rows in the three tables (what a copy between histories moves). */
export interface StoredRun {
  run: RunRow;
  scenarios: ScenarioRow[];
  /** In recorded order (seq). */
  samples: SampleRow[];
}

/**
 * Records a run and all its recorded samples, in one transaction. Idempotent on the run id: a run
 * already present is left as it is (concurrent writers of one run store it once).
 * @param runPath - where the run directory lives, stored for people (not read back).
 * @returns the samples stored (0 when the run was there already) and whether it was new.
 */
export async function appendRun(
  db: HistoryDb,
  run: RunResult,
  runPath: string,
): Promise<{ samples: number; inserted: boolean }> {
  return insertStoredRun(db, toStoredRun(run, runPath));
}

/** Inserts one stored run unless its run id is present; all or nothing. */
export async function insertStoredRun(
  db: HistoryDb,
  stored: StoredRun,
): Promise<{ samples: number; inserted: boolean }> {
  const r = stored.run;
  return db.transaction(async () => {
    const inserted = await db.run(
      `INSERT INTO runs (run_id, started_at, commit_sha, host, host_label, host_class, isobench_version, status, path,
         environment_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`,
      [
        r.run_id,
        r.started_at,
        r.commit_sha,
        r.host,
        r.host_label,
        r.host_class,
        r.isobench_version,
        r.status,
        r.path,
        r.environment_json,
      ],
    );
    // Another writer (or an earlier call) stored this run: its rows stand, ours are the same run.
    if (inserted === 0) return { samples: 0, inserted: false };
    for (const s of stored.scenarios) {
      await db.run('INSERT INTO run_scenarios (run_id, name, file, sha256, definition_json) VALUES (?, ?, ?, ?, ?)', [
        r.run_id,
        s.name,
        s.file,
        s.sha256,
        s.definition_json,
      ]);
    }
    for (let start = 0; start < stored.samples.length; start += SAMPLE_ROWS_PER_INSERT) {
      const batch = stored.samples.slice(start, start + SAMPLE_ROWS_PER_INSERT);
      const params: SqlValue[] = [];
      for (const s of batch) {
        params.push(
          r.run_id,
          s.seq,
          s.scenario,
          s.case_name,
          s.point_json,
          s.target,
          s.accel,
          s.measure,
          s.metric,
          s.unit,
          s.higher_is_worse,
          s.iteration,
          s.value,
        );
      }
      await db.run(
        `INSERT INTO samples (run_id, seq, scenario, case_name, point_json, target, accel, measure, metric, unit,
           higher_is_worse, iteration, value) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        params,
      );
    }
    return { samples: stored.samples.length, inserted: true };
  });
}

/** The rows a run becomes: one per scenario, one per recorded sample in series x metric order. */
function toStoredRun(run: RunResult, runPath: string): StoredRun {
  const samples: SampleRow[] = [];
  for (const series of run.series) {
    const point = canonicalPoint(series.point);
    for (const [metric, data] of Object.entries(series.metrics)) {
      const indices = iterationIndices(series, metric, data);
      data.samples.forEach((value, i) => {
        samples.push({
          seq: samples.length,
          scenario: series.scenario,
          case_name: series.case,
          point_json: point,
          target: series.target,
          accel: series.accel ?? null,
          measure: series.measure,
          metric,
          unit: data.unit,
          higher_is_worse: data.higherIsWorse ? 1 : 0,
          iteration: indices[i] ?? i,
          value,
        });
      });
    }
  }
  return {
    run: {
      run_id: run.runId,
      started_at: run.startedAt,
      commit_sha: run.isobench.commit,
      host: hostOf(run),
      host_label: hostLabelOf(run),
      host_class: hostClassOf(run),
      isobench_version: run.isobench.version,
      status: run.status,
      path: runPath,
      environment_json: JSON.stringify(run.environment),
    },
    scenarios: run.scenarios.map((s) => ({
      name: s.name,
      file: s.file,
      sha256: s.sha256,
      definition_json: JSON.stringify(s.definition ?? null),
    })),
    samples,
  };
}

/** Every run id in the history, oldest first. */
export async function listRunIds(db: HistoryDb): Promise<string[]> {
  const rows = await db.all<{ run_id: string }>('SELECT run_id FROM runs ORDER BY started_at, run_id');
  return rows.map((r) => r.run_id);
}

/** One run's rows exactly as stored, or undefined when the run id is absent. */
export async function readStoredRun(db: HistoryDb, runId: string): Promise<StoredRun | undefined> {
  const [run] = await db.all<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`, [runId]);
  if (!run) return undefined;
  const scenarios = await db.all<ScenarioRow>(
    'SELECT name, file, sha256, definition_json FROM run_scenarios WHERE run_id = ? ORDER BY name',
    [runId],
  );
  const samples = await db.all<SampleRow>(`SELECT ${SAMPLE_COLUMNS} FROM samples WHERE run_id = ? ORDER BY seq`, [
    runId,
  ]);
  return { run, scenarios, samples };
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
export async function lastRuns(db: HistoryDb, query: LastRunsQuery): Promise<RunResult[]> {
  const limit = checkLimit(query.limit);
  const where = [
    "r.status != 'running'",
    'EXISTS (SELECT 1 FROM samples s WHERE s.run_id = r.run_id AND s.scenario = ?)',
  ];
  const params: SqlValue[] = [query.scenario];
  if (query.host !== undefined) {
    where.push('r.host = ?');
    params.push(query.host);
  }
  if (query.excludeRunId !== undefined) {
    where.push('r.run_id != ?');
    params.push(query.excludeRunId);
  }
  const runs = await db.all<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs r WHERE ${where.join(' AND ')}
     ORDER BY r.started_at DESC, r.run_id DESC LIMIT ?`,
    [...params, limit],
  );
  const rebuilt: RunResult[] = [];
  for (const row of runs) {
    const samples = await db.all<SampleRow>(
      `SELECT ${SAMPLE_COLUMNS} FROM samples WHERE run_id = ? AND scenario = ? ORDER BY seq`,
      [row.run_id, query.scenario],
    );
    const [scenario] = await db.all<ScenarioRow>(
      'SELECT name, file, sha256, definition_json FROM run_scenarios WHERE run_id = ? AND name = ?',
      [row.run_id, query.scenario],
    );
    rebuilt.push(rebuildRun(row, scenario, samples));
  }
  return rebuilt;
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
  /** The host key (see hostOf). */
  host: string;
  /** What people call the host (--host-label, else its hostname). */
  hostLabel: string;
  /** The runner class (--host-class), or null. */
  hostClass: string | null;
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
export async function trend(db: HistoryDb, query: TrendQuery = {}): Promise<TrendRow[]> {
  const limit = checkLimit(query.limit ?? 20);
  const conditions: string[] = [];
  const filterParams: SqlValue[] = [];
  for (const [column, value] of [
    ['s.scenario', query.scenario],
    ['s.metric', query.metric],
    ['s.target', query.target],
  ] as const) {
    if (value === undefined) continue;
    conditions.push(`${column} = ?`);
    filterParams.push(value);
  }
  const filter = conditions.length > 0 ? conditions.join(' AND ') : '1 = 1';
  const rows = await db.all<SampleRow & TrendRunColumns>(
    `WITH chosen AS (
       SELECT r.run_id FROM runs r
       WHERE r.status != 'running' AND EXISTS (SELECT 1 FROM samples s WHERE s.run_id = r.run_id AND ${filter})
       ORDER BY r.started_at DESC, r.run_id DESC LIMIT ?)
     SELECT ${SAMPLE_COLUMNS_OF_S}, r.started_at, r.commit_sha, r.host, r.host_label, r.host_class
     FROM samples s JOIN runs r ON r.run_id = s.run_id
     WHERE s.run_id IN (SELECT run_id FROM chosen) AND ${filter}
     ORDER BY r.started_at, r.run_id, s.seq`,
    [...filterParams, limit, ...filterParams],
  );
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
    hostLabel: first.host_label ?? first.host,
    hostClass: first.host_class,
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
 * Records a finished run in the history at `location`, opening and closing it around the write.
 * Called by the suite runner after each run; a second call for the same run changes nothing.
 */
export async function recordRunInHistory(
  location: HistoryLocation,
  run: RunResult,
  runPath: string,
): Promise<{ samples: number; inserted: boolean }> {
  const db = await openHistory(location);
  try {
    return await appendRun(db, run, runPath);
  } finally {
    await db.close();
  }
}

interface TrendRunColumns {
  run_id: string;
  started_at: string;
  commit_sha: string | null;
  host: string;
  host_label: string | null;
  host_class: string | null;
}

const RUN_COLUMNS =
  'run_id, started_at, commit_sha, host, host_label, host_class, isobench_version, status, path, environment_json';
const SAMPLE_COLUMNS =
  'seq, scenario, case_name, point_json, target, accel, measure, metric, unit, higher_is_worse, iteration, value';
const SAMPLE_COLUMNS_OF_S = `s.run_id, ${SAMPLE_COLUMNS.split(', ')
  .map((c) => `s.${c}`)
  .join(', ')}`;

export interface RunRow {
  run_id: string;
  started_at: string;
  commit_sha: string | null;
  /** The host key (see hostOf). */
  host: string;
  host_label: string | null;
  host_class: string | null;
  isobench_version: string;
  status: string;
  path: string;
  environment_json: string;
}

export interface ScenarioRow {
  name: string;
  file: string;
  sha256: string;
  definition_json: string;
}

export interface SampleRow {
  /** Position among the run's samples, from 0: the recorded order. */
  seq: number;
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
  // The database keeps samples, not the round order or the run's conditions: both stay absent.
  return {
    schemaVersion: RESULT_SCHEMA_VERSION,
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
