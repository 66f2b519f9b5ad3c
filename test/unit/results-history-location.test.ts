import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHistoryLocation, redactUrl, resolveHistoryLocation } from '../../src/results/history-location.js';

describe('history location', () => {
  it('defaults to <root>/history.sqlite, then ISOBENCH_HISTORY_URL, then --history', () => {
    expect(resolveHistoryLocation('/r', undefined, {})).toEqual({
      kind: 'sqlite',
      file: '/r/history.sqlite',
      where: '/r/history.sqlite',
    });
    const env = { ISOBENCH_HISTORY_URL: 'postgres://ci:s3cret@db.example:5433/bench' };
    expect(resolveHistoryLocation('/r', undefined, env)).toEqual({
      kind: 'postgres',
      url: 'postgres://ci:s3cret@db.example:5433/bench',
      where: 'postgres://ci:***@db.example:5433/bench',
    });
    expect(resolveHistoryLocation('/r', 'sqlite:/data/h.sqlite', env)).toMatchObject({
      kind: 'sqlite',
      file: '/data/h.sqlite',
    });
  });

  it('takes postgresql://, sqlite:PATH and plain paths', () => {
    expect(parseHistoryLocation('postgresql://u@h/db')).toMatchObject({
      kind: 'postgres',
      where: 'postgresql://u@h/db',
    });
    expect(parseHistoryLocation('sqlite:rel.sqlite')).toMatchObject({
      kind: 'sqlite',
      file: path.resolve('rel.sqlite'),
    });
    expect(parseHistoryLocation('./h.sqlite')).toMatchObject({ kind: 'sqlite', file: path.resolve('h.sqlite') });
  });

  it('refuses bad values in one line that never shows the password', () => {
    const cases: Array<[string, RegExp]> = [
      ['mysql://u:s3cret@h/db', /unsupported history backend 'mysql:' \(mysql:\/\/u:\*\*\*@h\/db\)/],
      ['postgres://u:s3cret@h:99999/db', /not a valid PostgreSQL URL \(postgres:\/\/u:\*\*\*@h:99999\/db\)/],
      ['postgres://u:s3cret@h/', /names no PostgreSQL database/],
      ['postgres://u:s3cret@h', /names no PostgreSQL database/],
      ['', /got an empty value/],
      ['sqlite:', /expected a file path after sqlite:/],
    ];
    for (const [value, message] of cases) {
      let thrown: unknown;
      try {
        parseHistoryLocation(value);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, value).toMatchObject({ code: 'INPUT', message: expect.stringMatching(message) });
      expect((thrown as Error).message).not.toContain('s3cret');
    }
  });

  it('redacts passwords in the URL and in its query', () => {
    expect(redactUrl('postgres://u:p%40ss@h/db?password=x&sslmode=require')).toBe(
      'postgres://u:***@h/db?password=***&sslmode=require',
    );
    expect(redactUrl('postgres://u:pa ss@h:bad/db')).toBe('postgres://u:***@h:bad/db');
  });
});
