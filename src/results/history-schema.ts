// The history database layout and its migrations: schema_version holds the applied version, and
// each migration moves the database one version up inside a transaction.
import type Database from 'better-sqlite3';
import { InputError } from '../errors.js';

/** Migrations in order; index i moves the database from version i to version i + 1. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    commit_sha TEXT,
    host TEXT NOT NULL,
    isobench_version TEXT NOT NULL,
    status TEXT NOT NULL,
    path TEXT NOT NULL,
    environment_json TEXT NOT NULL
  );
  CREATE INDEX runs_by_host_time ON runs (host, started_at);
  CREATE INDEX runs_by_commit ON runs (commit_sha);
  -- Scenario definitions as run, so a history baseline can say which fields changed.
  CREATE TABLE run_scenarios (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
  );
  CREATE TABLE samples (
    run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    scenario TEXT NOT NULL,
    case_name TEXT NOT NULL,
    point_json TEXT NOT NULL,
    target TEXT NOT NULL,
    accel TEXT,
    measure TEXT NOT NULL,
    metric TEXT NOT NULL,
    unit TEXT NOT NULL,
    higher_is_worse INTEGER NOT NULL,
    iteration INTEGER NOT NULL,
    value REAL NOT NULL
  );
  CREATE INDEX samples_by_series ON samples (scenario, target, metric, run_id);
  CREATE INDEX samples_by_run ON samples (run_id);
  `,
];

/** The version this isobench writes. */
export const HISTORY_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to HISTORY_SCHEMA_VERSION, one transaction per step.
 * @throws InputError when the file was written by a newer isobench (its version is higher).
 */
export function migrateHistory(db: Database.Database, file: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as { version: number | null };
  const current = row.version ?? 0;
  if (current > HISTORY_SCHEMA_VERSION) {
    throw new InputError(
      `${file} has history schema version ${current}; this isobench knows up to ${HISTORY_SCHEMA_VERSION}`,
      { hint: 'use the newer isobench that wrote it, or move the file away to start a new history' },
    );
  }
  for (let version = current; version < HISTORY_SCHEMA_VERSION; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.prepare('DELETE FROM schema_version').run();
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(version + 1);
    })();
  }
}
