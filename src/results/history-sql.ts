// The one data-access seam of the history: plain SQL that SQLite and PostgreSQL both accept, run
// through a small async interface each backend implements (history-sqlite.ts, history-postgres.ts).
// NOTE: statements use `?` placeholders; the PostgreSQL side numbers them ($1, $2, ...), so no
// statement may hold a literal `?` (none does: values always travel as parameters).

/** A value a statement takes or a row holds: text, a number, or NULL. */
export type SqlValue = string | number | null;

/** Which engine is behind a HistorySql (a few statements, such as migrations, differ). */
export type SqlDialect = 'sqlite' | 'postgres';

/** One open history database: one connection, used by one async caller at a time. */
export interface HistorySql {
  readonly dialect: SqlDialect;
  /** Where the database is, fit to print: a file path, or a URL without its password. */
  readonly where: string;
  /** Rows of a query, as plain objects keyed by column name. */
  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs `fn` in one write transaction: all of it commits or none (rolled back when fn throws). */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Numbers `?` placeholders as $1, $2, ... for PostgreSQL. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
