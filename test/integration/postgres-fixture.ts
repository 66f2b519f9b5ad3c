// A real PostgreSQL server for a test file: initdb into a temp dir (as the `postgres` user when we
// are root: initdb refuses root), pg_ctl listening only on 127.0.0.1 on a free port with its socket
// in the temp dir, password authentication, durability off (a test server loses nothing it needs).
// stop() removes the server and its files; it also runs on process exit, so a failed or
// interrupted test leaves no server behind.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  port: number;
  /** The superuser's password (the URLs carry it; tests check that no message does). */
  password: string;
  /** postgres://isobench:PASSWORD@127.0.0.1:PORT/DATABASE */
  url(database: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

const USER = 'isobench';

/** The directory holding initdb and pg_ctl, or null when PostgreSQL is not installed. */
export function findPostgresBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(base, versions[0]!, 'bin') : null;
}

/** Why the PostgreSQL tests cannot run here, or null when they can. */
export function postgresUnavailableReason(): string | null {
  return findPostgresBin() ? null : 'PostgreSQL is not installed (scripts/setup.sh installs it)';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** uid and gid of `user` from /etc/passwd. */
function idsOf(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user} in /etc/passwd (the postgresql package creates it)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Starts a fresh server; call stop() in afterAll. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-pg-'));
  const owner = process.getuid?.() === 0 ? idsOf('postgres') : undefined;
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const dataDir = path.join(dir, 'data');
  const socketDir = path.join(dir, 'socket');
  const pwFile = path.join(dir, 'pw');
  mkdirSync(socketDir);
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) for (const p of [dir, socketDir, pwFile]) chownSync(p, owner.uid, owner.gid);
  const asOwner = { ...(owner ?? {}), cwd: dir, env: { ...process.env, LC_ALL: 'C.UTF-8' } };
  let started = false;
  const stop = () => {
    process.off('exit', stop);
    if (started) {
      const result = spawnSync(path.join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], {
        ...asOwner,
        stdio: 'ignore',
      });
      // pg_ctl failed (e.g. killed half-way): stop the postmaster it started by its recorded pid.
      if (result.status !== 0) {
        const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (pid > 1) {
          try {
            process.kill(pid, 'SIGQUIT');
          } catch {}
        }
      }
      started = false;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  try {
    execFileSync(
      path.join(bin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        USER,
        `--pwfile=${pwFile}`,
        '-A',
        'scram-sha-256',
        '--no-sync',
        '-E',
        'UTF8',
        '--no-instructions',
      ],
      { ...asOwner, stdio: 'pipe' },
    );
    const port = await freePort();
    const settings = [
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${socketDir}`,
      '-c fsync=off -c synchronous_commit=off -c full_page_writes=off',
    ].join(' ');
    started = true;
    execFileSync(
      path.join(bin, 'pg_ctl'),
      ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', settings, 'start'],
      {
        ...asOwner,
        stdio: 'pipe',
      },
    );
    const url = (database: string) => `postgres://${USER}:${password}@127.0.0.1:${port}/${database}`;
    return {
      port,
      password,
      url,
      createDatabase: async (name) => {
        const client = new pg.Client({ connectionString: url('postgres') });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name}"`);
        } finally {
          await client.end();
        }
        return url(name);
      },
      stop,
    };
  } catch (error) {
    const log = path.join(dir, 'server.log');
    const detail = existsSync(log) ? `\n${readFileSync(log, 'utf8')}` : '';
    stop();
    throw new Error(`could not start PostgreSQL: ${(error as Error).message}${detail}`);
  }
}
