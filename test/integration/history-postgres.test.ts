// The history on a real PostgreSQL server (postgres-fixture.ts), against the same history in
// SQLite: the same queries give the same answers, concurrent writers from separate processes
// store each run exactly once, `compare --against history` reads its baseline through it, a
// copy SQLite -> PostgreSQL -> SQLite keeps every row, and bad URLs fail with one clear line.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCommand } from '../../src/cli/commands/compare.js';
import { IsobenchError } from '../../src/errors.js';
import { readHostIdentity } from '../../src/host/host-identity.js';
import {
  appendRun,
  type HistoryDb,
  lastRuns,
  listRunIds,
  openHistory,
  readStoredRun,
  trend,
} from '../../src/results/history.js';
import { copyHistory } from '../../src/results/history-copy.js';
import { type HistoryLocation, parseHistoryLocation } from '../../src/results/history-location.js';
import { HISTORY_SCHEMA_VERSION } from '../../src/results/history-schema.js';
import { finished, spawnCli } from '../fixtures/cli-process.js';
import { makeCapturedContext } from '../fixtures/compare/cli-context.js';
import { makeRun, writeRunDir } from '../fixtures/compare/make-run.js';
import { type PostgresServer, postgresUnavailableReason, startPostgres } from './postgres-fixture.js';
import { ensureProbeBuilt } from './targets-fixture.js';

const MS = 1e6;
const HOST = { key: '0123456789abcdef', label: 'runner-a', class: 'c6i.large' };
const unavailable = postgresUnavailableReason();

/** Three runs of one scenario on one host, a day apart, plus one on another host. */
function makeRuns() {
  const day = (d: number) => `2025-01-1${d}T09:00:00.000Z`;
  return [
    ...[1, 2, 3].map((d) =>
      makeRun({
        runId: `run-${d}`,
        seed: d,
        n: 8,
        startedAt: day(d),
        commit: `c${d}`.repeat(4),
        host: HOST,
        series: [
          { target: 'container', metrics: { 'startup.exit': (30 + d) * MS, 'startup.ready': 25 * MS } },
          { target: 'vm', accel: 'tcg', point: { memory: 268435456 }, metrics: { 'startup.exit': 2900 * MS } },
        ],
      }),
    ),
    makeRun({
      runId: 'run-other-host',
      seed: 9,
      n: 8,
      startedAt: day(4),
      host: { key: 'fedcba9876543210', label: 'runner-b', class: null },
      series: [{ target: 'container', metrics: { 'startup.exit': 40 * MS } }],
    }),
  ];
}

/** Every stored row of a history, run by run: equal dumps mean equal histories. */
async function dump(db: HistoryDb) {
  const runs = [];
  // One query at a time: a history connection serves one caller.
  for (const id of await listRunIds(db)) runs.push(await readStoredRun(db, id));
  return runs;
}

describe.skipIf(unavailable !== null)(`history on PostgreSQL${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let server: PostgresServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-history-pg-'));
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const pgAt = (url: string): HistoryLocation => parseHistoryLocation(url);
  const sqliteAt = (name: string): HistoryLocation => parseHistoryLocation(path.join(dir, name));

  it('answers the same queries as SQLite, row for row', async () => {
    const dbs = [
      await openHistory(pgAt(await server.createDatabase('same'))),
      await openHistory(sqliteAt('same.sqlite')),
    ];
    try {
      for (const db of dbs) for (const run of makeRuns()) await appendRun(db, run, `/runs/${run.runId}`);
      const [onPg, onSqlite] = await Promise.all(
        dbs.map(async (db) => ({
          dump: await dump(db),
          last: await lastRuns(db, { scenario: 'startup', host: HOST.key, limit: 2 }),
          lastExcluding: await lastRuns(db, { scenario: 'startup', limit: 5, excludeRunId: 'run-3' }),
          trendAll: await trend(db),
          trendOne: await trend(db, { metric: 'startup.exit', target: 'container', limit: 2 }),
          version: await db.all('SELECT version FROM schema_version'),
        })),
      );
      expect(onPg).toEqual(onSqlite);
      // And the answers are the right ones, not merely equal.
      expect(onPg!.last.map((r) => r.runId)).toEqual(['run-3', 'run-2']);
      expect(onPg!.lastExcluding.map((r) => r.runId)).toEqual(['run-other-host', 'run-2', 'run-1']);
      expect(onPg!.trendOne.map((r) => [r.runId, r.hostLabel, r.hostClass, r.n])).toEqual([
        ['run-3', 'runner-a', 'c6i.large', 8],
        ['run-other-host', 'runner-b', null, 8],
      ]);
      expect(onPg!.last[1]!.series.find((s) => s.target === 'vm')!.metrics['startup.exit']).toEqual(
        makeRuns()[1]!.series[1]!.metrics['startup.exit'],
      );
      expect(onPg!.version).toEqual([{ version: HISTORY_SCHEMA_VERSION }]);
    } finally {
      for (const db of dbs) await db.close();
    }
  });

  it('a second insert of the same run id is a no-op', async () => {
    const db = await openHistory(pgAt(await server.createDatabase('again')));
    try {
      const [run] = makeRuns();
      expect(await appendRun(db, run!, '/runs/first')).toEqual({ samples: 24, inserted: true });
      const changed = makeRun({ runId: run!.runId, seed: 77, n: 3, series: [{ metrics: { 'startup.exit': MS } }] });
      expect(await appendRun(db, changed, '/runs/second')).toEqual({ samples: 0, inserted: false });
      const stored = await readStoredRun(db, run!.runId);
      expect(stored!.run.path).toBe('/runs/first');
      expect(stored!.samples).toHaveLength(24);
    } finally {
      await db.close();
    }
  });

  it('three writers in three processes at once store each run exactly once, and compare finds them', async () => {
    const url = await server.createDatabase('fleet');
    const runs = makeRuns().slice(0, 3);
    const runDirs = await Promise.all(runs.map((run) => writeRunDir(path.join(dir, 'fleet'), run)));
    const root = path.join(dir, 'fleet-root');
    // A fresh database: the three processes also race to migrate it. Then all three again with
    // the same runs, at once: nothing may be added twice.
    for (const round of [1, 2]) {
      const results = await Promise.all(
        runDirs.map((runDir) =>
          finished(spawnCli(root, ['history', '--add', runDir, '--json'], { ISOBENCH_HISTORY_URL: url })),
        ),
      );
      for (const result of results) expect(result.code, result.stderr).toBe(0);
      const said = results.map((r) => (r.stderr.includes('already') ? 'present' : 'recorded'));
      expect(said).toEqual(round === 1 ? ['recorded', 'recorded', 'recorded'] : ['present', 'present', 'present']);
    }
    const db = await openHistory(pgAt(url));
    try {
      expect(await db.all('SELECT run_id, COUNT(*) AS n FROM runs GROUP BY run_id ORDER BY run_id')).toEqual(
        runs.map((r) => ({ run_id: r.runId, n: '1' })),
      );
      expect(await db.all('SELECT COUNT(*) AS n FROM samples')).toEqual([{ n: String(3 * 24) }]);
    } finally {
      await db.close();
    }

    const candidate = makeRun({
      runId: 'run-candidate',
      seed: 5,
      n: 8,
      startedAt: '2025-01-18T09:00:00.000Z',
      host: HOST,
      series: [{ target: 'container', metrics: { 'startup.exit': 31 * MS, 'startup.ready': 25 * MS } }],
    });
    const { ctx, stdout } = makeCapturedContext(root);
    const code = await compareCommand(ctx, await writeRunDir(dir, candidate), undefined, {
      against: 'history',
      history: url,
      format: 'json',
      last: '5',
    });
    const report = JSON.parse(stdout()) as { baseline: Array<{ runId: string }>; counts: Record<string, number> };
    expect(report.baseline.map((b) => b.runId).sort()).toEqual(['run-1', 'run-2', 'run-3']);
    expect(code).toBe(report.counts.regressed! > 0 || report.counts.failed! > 0 ? 1 : 0);
  }, 60_000);

  it('three real `suite run`s at once record their runs once each under the host key, label and class', async () => {
    ensureProbeBuilt();
    const url = await server.createDatabase('suites');
    const root = path.join(dir, 'suites-root');
    const args = (i: number) => [
      'suite',
      'run',
      'startup',
      '--targets',
      'native',
      '--iterations',
      '2',
      '--no-report',
      '--out',
      path.join(dir, 'suites', `run-${i}`),
      '--host-label',
      `runner-${i}`,
      '--host-class',
      'test.small',
    ];
    const results = await Promise.all(
      [0, 1, 2].map((i) => finished(spawnCli(root, args(i), { ISOBENCH_HISTORY_URL: url }))),
    );
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const db = await openHistory(pgAt(url));
    try {
      const runs = await db.all<{ run_id: string; host: string; host_label: string; host_class: string }>(
        'SELECT run_id, host, host_label, host_class FROM runs ORDER BY host_label',
      );
      expect(runs.map((r) => [r.host_label, r.host_class])).toEqual([
        ['runner-0', 'test.small'],
        ['runner-1', 'test.small'],
        ['runner-2', 'test.small'],
      ]);
      // One machine: one key, whatever the labels; hashed (16 hex digits), not the hostname.
      expect(new Set(runs.map((r) => r.host)).size).toBe(1);
      expect(runs[0]!.host).toBe((await readHostIdentity()).key);
      const perRun = await db.all<{ n: string }>('SELECT COUNT(*) AS n FROM samples GROUP BY run_id');
      expect(perRun).toHaveLength(3);
    } finally {
      await db.close();
    }
    const compared = await finished(
      spawnCli(root, ['compare', '--against', 'history', path.join(dir, 'suites', 'run-0'), '--format', 'json'], {
        ISOBENCH_HISTORY_URL: url,
      }),
    );
    expect([0, 1]).toContain(compared.code);
    const report = JSON.parse(compared.stdout) as { baseline: Array<{ runId: string }> };
    expect(report.baseline).toHaveLength(2);
  }, 180_000);

  it('copies SQLite -> PostgreSQL -> SQLite keeping every row, and a second copy adds nothing', async () => {
    const source = sqliteAt('copy-source.sqlite');
    const middle = pgAt(await server.createDatabase('copy'));
    const back = sqliteAt('copy-back.sqlite');
    const db = await openHistory(source);
    try {
      for (const run of makeRuns()) await appendRun(db, run, `/runs/${run.runId}`);
    } finally {
      await db.close();
    }
    expect(await copyHistory(source, middle)).toEqual({ copiedRuns: 4, presentRuns: 0, copiedSamples: 80 });
    expect(await copyHistory(source, middle)).toEqual({ copiedRuns: 0, presentRuns: 4, copiedSamples: 0 });
    expect(await copyHistory(middle, back)).toEqual({ copiedRuns: 4, presentRuns: 0, copiedSamples: 80 });
    const dumps = [];
    for (const location of [source, middle, back]) {
      const opened = await openHistory(location);
      try {
        dumps.push(await dump(opened));
      } finally {
        await opened.close();
      }
    }
    expect(dumps[0]).toHaveLength(4);
    expect(dumps[1]).toEqual(dumps[0]);
    expect(dumps[2]).toEqual(dumps[0]);
  });

  it('refuses a wrong password, a missing database, an unreachable server and a newer schema in one line, changing nothing', async () => {
    const failure = async (location: HistoryLocation) => {
      try {
        await (await openHistory(location)).close();
      } catch (error) {
        expect(error).toBeInstanceOf(IsobenchError);
        const e = error as IsobenchError;
        expect(`${e.message} ${e.hint}`).not.toContain(server.password);
        expect(e.message).not.toContain('\n');
        return { code: e.code, message: e.message };
      }
      throw new Error('expected openHistory to fail');
    };
    const wrongPassword = server.url('postgres').replace(server.password, 'not-the-password');
    expect(await failure(pgAt(wrongPassword))).toMatchObject({
      code: 'INPUT',
      message: expect.stringMatching(/refused the password/),
    });
    expect(await failure(pgAt(server.url('no_such_db')))).toMatchObject({
      code: 'INPUT',
      message: expect.stringMatching(/database does not exist/),
    });
    const closedPort = server.url('postgres').replace(`:${server.port}/`, ':1/');
    expect(await failure(pgAt(closedPort))).toMatchObject({
      code: 'ENVIRONMENT',
      message: expect.stringMatching(/cannot reach the PostgreSQL server .*ECONNREFUSED/),
    });
    const url = await server.createDatabase('newer');
    const db = await openHistory(pgAt(url));
    await db.run('UPDATE schema_version SET version = ?', [HISTORY_SCHEMA_VERSION + 1]);
    await db.close();
    expect(await failure(pgAt(url))).toMatchObject({
      code: 'INPUT',
      message: expect.stringContaining(`has schema version ${HISTORY_SCHEMA_VERSION + 1}; this isobench knows up to`),
    });

    // The CLI: exit 2, the fix named, no stack trace, no password, nothing written.
    const root = path.join(dir, 'bad-root');
    const result = await finished(spawnCli(root, ['history', '--history', wrongPassword]));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^isobench: history postgres:\/\/isobench:\*\*\*@127\.0\.0\.1:\d+\/postgres: the server refused the password/,
    );
    expect(result.stderr).toMatch(/[;:] fix --history or ISOBENCH_HISTORY_URL/);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain('not-the-password');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
