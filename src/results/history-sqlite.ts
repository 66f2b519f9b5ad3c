// The SQLite backend of the history (better-sqlite3): one file, WAL mode so the suite runner and a
// `history` query can share it, and write transactions that take the lock at BEGIN (IMMEDIATE), so
// concurrent writers queue on the busy timeout instead of failing at their first write.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EnvironmentError, InputError, IntegrityError, type IsobenchError } from '../errors.js';
import type { HistorySql, SqlValue } from './history-sql.js';

/** How long a writer waits for another process's lock before SQLITE_BUSY, in ms. */
const BUSY_TIMEOUT_MS = 10_000;

/** Opens (creating it and its directory when missing) the SQLite file at `file`. */
export function openSqliteHistory(file: string): HistorySql {
  let db: Database.Database;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw openError(file, error);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
  } catch (error) {
    db.close();
    throw openError(file, error);
  }
  let inTransaction = false;
  return {
    dialect: 'sqlite',
    where: file,
    all: async <Row>(sql: string, params: readonly SqlValue[] = []) => db.prepare(sql).all(...params) as Row[],
    run: async (sql: string, params: readonly SqlValue[] = []) => db.prepare(sql).run(...params).changes,
    transaction: async <T>(fn: () => Promise<T>): Promise<T> => {
      if (inTransaction) throw new Error('history: nested transactions are not supported');
      inTransaction = true;
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      } finally {
        inTransaction = false;
      }
    },
    close: async () => {
      db.close();
    },
  };
}

/** SQLite's refusals to open `file`, as one error naming the file and the fix. */
function openError(file: string, error: unknown): IsobenchError {
  const code = (error as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new IntegrityError(`the run history ${file} is not a valid SQLite database (${code})`, {
      hint: 'move it aside; `isobench history --add <run-dir>` records runs into a new one',
      cause: error,
    });
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return new InputError(`cannot open the run history ${file} for writing (${code})`, {
      hint: 'give --root (or ISOBENCH_ROOT) a writable state root, or name another history with --history',
      cause: error,
    });
  }
  return new EnvironmentError(`cannot open the run history ${file}: ${(error as Error).message}`, {
    hint: 'check the path and its permissions, or name another history with --history',
    cause: error,
  });
}
