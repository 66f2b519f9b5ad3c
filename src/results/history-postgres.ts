// The PostgreSQL backend of the history (node-postgres): one client connection per open history,
// its failures turned into one line that names the server (never its password) and the fix.
import pg from 'pg';
import { EnvironmentError, InputError, type IsobenchError } from '../errors.js';
import { type HistorySql, numberPlaceholders, type SqlValue } from './history-sql.js';

/** How long to wait for the server to accept a connection, in ms. */
const CONNECT_TIMEOUT_MS = 10_000;
const URL_HINT = 'fix --history or ISOBENCH_HISTORY_URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE)';

/**
 * Connects to the database `url` names. `where` is the URL without its password.
 * @throws InputError for credentials or a database the server refuses; EnvironmentError when the
 * server cannot be reached.
 */
export async function openPostgresHistory(url: string, where: string): Promise<HistorySql> {
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  } catch (error) {
    throw new InputError(`${where} is not a usable PostgreSQL URL: ${(error as Error).message}`, {
      hint: URL_HINT,
      cause: error,
    });
  }
  // An idle connection the server drops must not crash the process: the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw describePgError(error, where);
  }
  let inTransaction = false;
  const query = async <Row>(sql: string, params: readonly SqlValue[]) => {
    try {
      return await client.query<Row & pg.QueryResultRow>(numberPlaceholders(sql), params as SqlValue[]);
    } catch (error) {
      throw describePgError(error, where);
    }
  };
  return {
    dialect: 'postgres',
    where,
    all: async <Row>(sql: string, params: readonly SqlValue[] = []) => (await query<Row>(sql, params)).rows,
    run: async (sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rowCount ?? 0,
    transaction: async <T>(fn: () => Promise<T>): Promise<T> => {
      if (inTransaction) throw new Error('history: nested transactions are not supported');
      inTransaction = true;
      try {
        await query('BEGIN', []);
        try {
          const result = await fn();
          await query('COMMIT', []);
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      } finally {
        inTransaction = false;
      }
    },
    close: async () => {
      await client.end().catch(() => {});
    },
  };
}

/** SQLSTATE classes of the errors a user can fix in the URL (PostgreSQL manual, appendix A). */
const USER_FIXABLE: Record<string, string> = {
  '28P01': 'the server refused the password',
  '28000': 'the server refused this user or client',
  '3D000': 'the database does not exist',
  '42501': 'the user lacks a privilege the history needs',
};

/** One typed error for a node-postgres failure; the message never holds the URL's password. */
export function describePgError(error: unknown, where: string): IsobenchError {
  const e = error as { code?: string; message?: string; address?: string; port?: number };
  const code = e.code ?? '';
  const reason = USER_FIXABLE[code];
  if (reason) {
    return new InputError(`history ${where}: ${reason} (${e.message ?? code})`, {
      hint: code === '3D000' ? `create it (createdb), or ${URL_HINT}` : URL_HINT,
      cause: error,
    });
  }
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET'].includes(code)
  ) {
    return new EnvironmentError(`cannot reach the PostgreSQL server of history ${where} (${code})`, {
      hint: `start the server or check its address, or ${URL_HINT}`,
      cause: error,
    });
  }
  if (/timeout/i.test(e.message ?? '')) {
    return new EnvironmentError(`cannot reach the PostgreSQL server of history ${where} (connection timed out)`, {
      hint: `start the server or check its address, or ${URL_HINT}`,
      cause: error,
    });
  }
  return new EnvironmentError(
    `history ${where}: PostgreSQL failed: ${e.message ?? String(error)}${code ? ` (${code})` : ''}`,
    {
      hint: 'check the server log; the history was left as it was (the transaction rolled back)',
      cause: error,
    },
  );
}
