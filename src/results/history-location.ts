// Where the history lives: `--history`, else ISOBENCH_HISTORY_URL, else <root>/history.sqlite.
// A postgres:// (or postgresql://) URL names a PostgreSQL database; `sqlite:PATH` or a plain path
// names a SQLite file. Nothing here connects: a bad value is refused before anything runs.
import path from 'node:path';
import { InputError } from '../errors.js';

export const HISTORY_FILE_NAME = 'history.sqlite';
/** The environment variable that names the history when --history is not given. */
export const HISTORY_URL_ENV = 'ISOBENCH_HISTORY_URL';

/** A parsed history location; `where` is fit to print (never holds a password). */
export type HistoryLocation =
  | { kind: 'sqlite'; file: string; where: string }
  | { kind: 'postgres'; url: string; where: string };

/** The accepted forms, for the flag or variable the value came from. */
function hintFor(source: string): string {
  return `give ${source} as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, sqlite:PATH or a file path`;
}

/** <root>/history.sqlite. */
export function historyPath(root: string): string {
  return path.join(root, HISTORY_FILE_NAME);
}

/**
 * The history a command uses: `explicit` (--history), else `env` ISOBENCH_HISTORY_URL, else the
 * SQLite file under the state root.
 * @throws InputError for a value that names neither backend (the message never shows a password).
 */
export function resolveHistoryLocation(
  root: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): HistoryLocation {
  const fromEnv = env[HISTORY_URL_ENV];
  if (explicit !== undefined) return parseHistoryLocation(explicit, '--history');
  if (fromEnv !== undefined && fromEnv !== '') return parseHistoryLocation(fromEnv, HISTORY_URL_ENV);
  const file = historyPath(root);
  return { kind: 'sqlite', file, where: file };
}

/**
 * Parses one history location. `source` names where the value came from, for the message.
 * @throws InputError naming the problem and the accepted forms.
 */
export function parseHistoryLocation(text: string, source = '--history'): HistoryLocation {
  const value = text.trim();
  if (value === '')
    throw new InputError(`expected ${source} to name a history, got an empty value`, { hint: hintFor(source) });
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return parsePostgresUrl(value, source);
  if (scheme === 'sqlite') {
    const file = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '')
      throw new InputError(`expected a file path after sqlite: in ${source}, got none`, { hint: hintFor(source) });
    return { kind: 'sqlite', file: path.resolve(file), where: path.resolve(file) };
  }
  if (scheme !== undefined && scheme.length > 1 && value.slice(scheme.length + 1).startsWith('//')) {
    throw new InputError(`${source} names an unsupported history backend '${scheme}:' (${redactUrl(value)})`, {
      hint: hintFor(source),
    });
  }
  return { kind: 'sqlite', file: path.resolve(value), where: path.resolve(value) };
}

function parsePostgresUrl(value: string, source: string): HistoryLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`${source} is not a valid PostgreSQL URL (${redactUrl(value)})`, { hint: hintFor(source) });
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (url.hostname === '' && !url.searchParams.has('host')) {
    throw new InputError(`${source} names no PostgreSQL server (${redactUrl(value)})`, { hint: hintFor(source) });
  }
  if (database === '' || database.includes('/')) {
    throw new InputError(`${source} names no PostgreSQL database (${redactUrl(value)})`, { hint: hintFor(source) });
  }
  return { kind: 'postgres', url: value, where: redactUrl(value) };
}

/** The URL with any password replaced by ***, also when the URL does not parse. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (key.toLowerCase() === 'password') url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    // Unparsable: blank everything between "scheme://user:" and the last "@" of the authority.
    return value.replace(/^([^:/]+:\/\/[^:@/]*:)[^@]*@/, '$1***@').replace(/(password=)[^&]*/gi, '$1***');
  }
}
