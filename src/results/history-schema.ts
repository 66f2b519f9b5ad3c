// The history database layout and its migrations, the same for SQLite and PostgreSQL:
// schema_version holds the applied version, and opening a history applies every missing step in
// one transaction that first takes the database's write lock, so concurrent openers migrate once.
import { InputError } from '../errors.js';
import type { HistorySql, SqlDialect } from './history-sql.js';

/** The key columns runs are ordered by: byte order on both engines (PostgreSQL's default collation is the locale's). */
function sortedText(dialect: SqlDialect): string {
  return dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
}

/** Migrations in order; entry i moves the database from version i to version i + 1. */
const MIGRATIONS: ReadonlyArray<(dialect: SqlDialect) => string[]> = [
  (dialect) => [
    `CREATE TABLE runs (
      run_id ${sortedText(dialect)} PRIMARY KEY,
      started_at ${sortedText(dialect)} NOT NULL,
      commit_sha TEXT,
      host TEXT NOT NULL,
      isobench_version TEXT NOT NULL,
      status TEXT NOT NULL,
      path TEXT NOT NULL,
      environment_json TEXT NOT NULL
    )`,
    'CREATE INDEX runs_by_host_time ON runs (host, started_at)',
    'CREATE INDEX runs_by_commit ON runs (commit_sha)',
    // Scenario definitions as run, so a history baseline can say which fields changed.
    `CREATE TABLE run_scenarios (
      run_id ${sortedText(dialect)} NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      file TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      definition_json TEXT NOT NULL,
      PRIMARY KEY (run_id, name)
    )`,
    // DOUBLE PRECISION: 8 bytes on both (PostgreSQL's REAL is 4).
    `CREATE TABLE samples (
      run_id ${sortedText(dialect)} NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
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
      value DOUBLE PRECISION NOT NULL
    )`,
    'CREATE INDEX samples_by_series ON samples (scenario, target, metric, run_id)',
    'CREATE INDEX samples_by_run ON samples (run_id)',
  ],
  // 2: samples keep their recorded order in `seq` (version 1 relied on SQLite's rowid, which
  // PostgreSQL lacks); runs get the user-set host label and class next to the host key.
  (dialect) => [
    'ALTER TABLE samples ADD COLUMN seq INTEGER',
    dialect === 'sqlite'
      ? `UPDATE samples SET seq = numbered.n
         FROM (SELECT rowid AS rid, ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY rowid) - 1 AS n FROM samples) AS numbered
         WHERE samples.rowid = numbered.rid`
      : 'UPDATE samples SET seq = 0 WHERE seq IS NULL',
    'CREATE INDEX samples_by_run_seq ON samples (run_id, seq)',
    'DROP INDEX samples_by_run',
    'ALTER TABLE runs ADD COLUMN host_label TEXT',
    'ALTER TABLE runs ADD COLUMN host_class TEXT',
    // Runs recorded before host identity were filed under their hostname: it is their label too.
    'UPDATE runs SET host_label = host WHERE host_label IS NULL',
  ],
];

/** The version this isobench writes. */
export const HISTORY_SCHEMA_VERSION = MIGRATIONS.length;

/** Arbitrary constant naming the migration lock among PostgreSQL advisory locks. */
const PG_MIGRATION_LOCK = 0x15_0b_e7_c4;

/**
 * Brings the database to HISTORY_SCHEMA_VERSION in one transaction; a no-op when it is there.
 * @returns the version found before migrating (0 for a new database).
 * @throws InputError when the database was written by a newer isobench (its version is higher).
 */
export async function migrateHistory(db: HistorySql): Promise<number> {
  return db.transaction(async () => {
    // The write lock comes first: a concurrent opener waits here, then finds the work done.
    if (db.dialect === 'postgres') await db.all('SELECT pg_advisory_xact_lock(?)', [PG_MIGRATION_LOCK]);
    await db.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const [row] = await db.all<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_version');
    const found = row?.version ?? 0;
    if (found > HISTORY_SCHEMA_VERSION) {
      throw new InputError(
        `the history at ${db.where} has schema version ${found}; this isobench knows up to ${HISTORY_SCHEMA_VERSION}`,
        { hint: 'use the newer isobench that wrote it, or name another history with --history' },
      );
    }
    for (let version = found; version < HISTORY_SCHEMA_VERSION; version++) {
      for (const statement of MIGRATIONS[version]!(db.dialect)) await db.run(statement);
    }
    if (found < HISTORY_SCHEMA_VERSION) {
      await db.run('DELETE FROM schema_version');
      await db.run('INSERT INTO schema_version (version) VALUES (?)', [HISTORY_SCHEMA_VERSION]);
    }
    return found;
  });
}
