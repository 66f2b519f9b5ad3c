// `run -v`, `--mount`, `--tmpfs`, `--read-only` and `isobench volume`, through the real CLI:
// Docker's meaning of each, a hostile image whose mount targets are symlinks out of the rootfs,
// in-use tracking that survives a SIGKILLed CLI, and bad input refused with one line, exit 2,
// before anything is created. Nothing is left mounted on the host.
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { runCli, spawnCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { exitOf, makeTestRoot, removeTestRoot, type TestRoot, waitUntil } from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;
let hostDir: string;
let mountsBefore: Set<string>;
/** A name no host path has: the escape attempts below would create it at the host's root. */
const ESCAPE = `isobench-escape-${process.pid}`;

const mountPoints = () =>
  new Set(
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter(Boolean),
  );

beforeAll(async () => {
  mountsBefore = mountPoints();
  t = await makeTestRoot('volumes');
  hostDir = await mkdtemp(path.join(os.tmpdir(), 'isobench-volumes-host-'));
  const config = { Env: ['PATH=/bin'], Cmd: ['sh'] };
  await commitBusyboxImage(t.root, 'bb:1', config);
  // Hostile: mount targets that lead out of the rootfs if a walk followed them.
  await commitBusyboxImage(t.root, 'hostile:1', config, {
    symlinks: [
      { path: '/evil', target: '/' },
      // The store refuses a relative link that climbs out of the image (`../../..`); this one stays in it.
      { path: '/lib/up', target: '..' },
      { path: '/data/link', target: '/' },
    ],
  });
});

afterAll(async () => {
  if (!t) return;
  await runCli(t.root, ['rm', '-f', 'user1']);
  const leaked = [...mountPoints()].filter(
    (m) => !mountsBefore.has(m) && (m.startsWith(t.root) || m.startsWith(hostDir) || m.includes(ESCAPE)),
  );
  expect(leaked).toEqual([]);
  await rm(hostDir, { recursive: true, force: true });
  expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

const containers = () =>
  existsSync(path.join(t.root, 'containers')) ? readdirSync(path.join(t.root, 'containers')) : [];
const volumes = () => (existsSync(path.join(t.root, 'volumes')) ? readdirSync(path.join(t.root, 'volumes')) : []);

describe('bind mounts', () => {
  it('-v HOST:CONTAINER: a write inside is on the host', async () => {
    const result = await runCli(t.root, [
      'run',
      '--rm',
      '-v',
      `${hostDir}:/data`,
      'bb:1',
      'sh',
      '-c',
      'echo rw > /data/f',
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(path.join(hostDir, 'f'), 'utf8')).toBe('rw\n');
  });

  it(':ro refuses writes inside (EROFS) and the host file stays as it was', async () => {
    writeFileSync(path.join(hostDir, 'keep'), 'host\n');
    const result = await runCli(t.root, [
      'run',
      '--rm',
      '-v',
      `${hostDir}:/data:ro`,
      'bb:1',
      'sh',
      '-c',
      'cat /data/keep; echo changed > /data/keep',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('host\n');
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(readFileSync(path.join(hostDir, 'keep'), 'utf8')).toBe('host\n');
  });

  it('--mount type=bind,src,dst,readonly and a tmpfs below it, mounted parents first', async () => {
    // The mount point must exist: a read-only bind cannot get a new dir (in Docker neither).
    mkdirSync(path.join(hostDir, 'scratch'));
    const result = await runCli(t.root, [
      'run',
      '--rm',
      '--tmpfs',
      '/data/scratch',
      '--mount',
      `type=bind,src=${hostDir},dst=/data,readonly`,
      'bb:1',
      'sh',
      '-c',
      'touch /data/scratch/ok && ls /data/scratch && ! touch /data/no 2>/dev/null',
    ]);
    expect(result).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(existsSync(path.join(hostDir, 'no'))).toBe(false);
    expect(readdirSync(path.join(hostDir, 'scratch'))).toEqual([]);
  });
});

describe('named volumes', () => {
  it('persist across two containers and show in volume ls and inspect', async () => {
    expect(
      await runCli(t.root, ['run', '--rm', '-v', 'vol1:/v', 'bb:1', 'sh', '-c', 'echo kept > /v/f']),
    ).toMatchObject({ code: 0 });
    expect(await runCli(t.root, ['run', '--rm', '-v', 'vol1:/v:ro', 'bb:1', 'cat', '/v/f'])).toMatchObject({
      code: 0,
      stdout: 'kept\n',
    });
    const ls = await runCli(t.root, ['volume', 'ls']);
    expect(ls.stdout).toMatch(/^DRIVER\s+VOLUME NAME\nlocal\s+vol1\n/);
    const [info] = JSON.parse((await runCli(t.root, ['volume', 'inspect', 'vol1'])).stdout);
    expect(info).toMatchObject({ Name: 'vol1', Driver: 'local', Scope: 'local' });
    expect(readFileSync(path.join(info.Mountpoint, 'f'), 'utf8')).toBe('kept\n');
  });

  it('volume create is idempotent; rm refuses a missing one unless -f', async () => {
    expect(await runCli(t.root, ['volume', 'create', 'vol0'])).toMatchObject({ code: 0, stdout: 'vol0\n' });
    expect(await runCli(t.root, ['volume', 'create', 'vol0'])).toMatchObject({ code: 0, stdout: 'vol0\n' });
    expect(await runCli(t.root, ['volume', 'rm', 'vol0'])).toMatchObject({ code: 0, stdout: 'vol0\n' });
    const missing = await runCli(t.root, ['volume', 'rm', 'vol0']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^isobench: no volume named 'vol0'/);
    expect(await runCli(t.root, ['volume', 'rm', '-f', 'vol0'])).toMatchObject({ code: 0 });
  });

  it('volume rm is refused while a detached container uses it, and allowed once it is removed', async () => {
    expect(
      await runCli(t.root, ['run', '-d', '--name', 'user1', '-v', 'vol2:/v', 'bb:1', 'sleep', '600']),
    ).toMatchObject({
      code: 0,
    });
    for (const flags of [[], ['-f']]) {
      const refused = await runCli(t.root, ['volume', 'rm', ...flags, 'vol2']);
      expect(refused.code).toBe(4);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(/^isobench: volume vol2 is in use by container user1 \(/);
    }
    expect(volumes()).toContain('vol2');
    expect(await runCli(t.root, ['rm', '-f', 'user1'])).toMatchObject({ code: 0 });
    expect(await runCli(t.root, ['volume', 'rm', 'vol2'])).toMatchObject({ code: 0, stdout: 'vol2\n' });
    expect(volumes()).not.toContain('vol2');
  });

  it('in-use tracking follows the records after a SIGKILLed CLI: held until gc removes its --rm container', async () => {
    const child = spawnCli(t.root, ['run', '--rm', '-v', 'vol3:/v', 'bb:1', 'sleep', '600']);
    await waitUntil(
      async () => JSON.parse((await runCli(t.root, ['ps', '--json'])).stdout).length > 0,
      'the container to run',
      20_000,
    );
    child.kill('SIGKILL');
    await exitOf(child);
    expect((await runCli(t.root, ['volume', 'rm', 'vol3'])).code).toBe(4);
    expect(await runCli(t.root, ['gc'])).toMatchObject({ code: 0 });
    expect(await runCli(t.root, ['volume', 'rm', 'vol3'])).toMatchObject({ code: 0, stdout: 'vol3\n' });
  });
});

describe('gc', () => {
  it('removes what a volume create or rm killed halfway left in tmp, and keeps the volumes', async () => {
    expect(await runCli(t.root, ['volume', 'create', 'vol5'])).toMatchObject({ code: 0 });
    // pid 2^22+1 is above any pid_max: the owner is dead; two minutes old: past gc's grace.
    const stale = path.join(t.root, 'tmp', 'volume-4194305-0123abcd');
    mkdirSync(path.join(stale, '_data'), { recursive: true });
    const old = new Date(Date.now() - 120_000);
    utimesSync(stale, old, old);
    expect(await runCli(t.root, ['gc'])).toMatchObject({ code: 0 });
    expect(existsSync(stale)).toBe(false);
    expect(volumes()).toContain('vol5');
    expect(await runCli(t.root, ['volume', 'rm', 'vol5'])).toMatchObject({ code: 0 });
  });
});

describe('--tmpfs and --read-only', () => {
  it('--tmpfs PATH:size=,mode= mounts a tmpfs of that size, noexec,nosuid,nodev', async () => {
    const result = await runCli(t.root, [
      'run',
      '--rm',
      '--tmpfs',
      '/run:size=1m,mode=1770',
      'bb:1',
      'sh',
      '-c',
      'grep " /run " /proc/mounts; stat -c %a /run',
    ]);
    expect(result.code).toBe(0);
    const [line, mode] = result.stdout.trim().split('\n');
    expect(line).toMatch(/^tmpfs \/run tmpfs rw,nosuid,nodev,noexec,/);
    expect(line).toMatch(/size=1024k/);
    expect(mode).toBe('1770');
  });

  it('--read-only makes touch /x fail; a --tmpfs /tmp, /dev/shm and a volume stay writable', async () => {
    const refused = await runCli(t.root, ['run', '--rm', '--read-only', 'bb:1', 'touch', '/x']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Read-only file system/);
    const writable = await runCli(t.root, [
      'run',
      '--rm',
      '--read-only',
      '--tmpfs',
      '/tmp',
      '-v',
      'vol4:/v',
      'bb:1',
      'sh',
      '-c',
      'touch /tmp/a /dev/shm/b /v/c && echo ok',
    ]);
    expect(writable).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(await runCli(t.root, ['volume', 'rm', 'vol4'])).toMatchObject({ code: 0 });
  });
});

describe('a hostile image', () => {
  it('cannot make a bind or tmpfs land outside the container root through a symlinked target', async () => {
    const before = containers().length;
    for (const flags of [
      ['-v', `${hostDir}:/evil/${ESCAPE}`],
      ['-v', `${hostDir}:/lib/up/${ESCAPE}`],
      ['-v', `${hostDir}:/data/link/${ESCAPE}`],
      ['-v', `${hostDir}:/evil`],
      ['--tmpfs', `/evil/${ESCAPE}`],
      ['--mount', `type=tmpfs,dst=/lib/up/${ESCAPE}`],
    ]) {
      const result = await runCli(t.root, ['run', '--rm', ...flags, 'hostile:1', 'true']);
      expect(result.code, flags.join(' ')).toBe(7);
      expect(result.stderr).toMatch(/target `\/(evil|lib\/up|data\/link)[^`]*` in the rootfs/);
      expect(existsSync(`/${ESCAPE}`)).toBe(false);
      expect(existsSync(path.join(os.tmpdir(), ESCAPE))).toBe(false);
    }
    expect(containers().length).toBe(before);
  });
});

describe('bad input: one line, exit 2, nothing created', () => {
  it.each([
    [['-v', '/nonexistent-isobench-path:/data'], /bind source path does not exist: \/nonexistent-isobench-path/],
    [['-v', 'a/b:/data'], /invalid -v .*volume name 'a\/b'/],
    [['-v', '..:/data'], /invalid -v .*volume name '\.\.'/],
    [['-v', 'named:data'], /container path to be absolute/],
    [['-v', '/tmp:/data:rw:ro'], /expected SOURCE:TARGET\[:ro\|rw\]/],
    [['--mount', 'type=bind,source=/tmp,target=/d,colour=red'], /unknown key 'colour'/],
    [['-v', '/tmp:/d', '--tmpfs', '/d'], /duplicate mount target \/d/],
    [['--tmpfs', '/run:size=big'], /size/],
  ])('%j', async (flags, message) => {
    const before = containers().length;
    const volumesBefore = volumes().length;
    const result = await runCli(t.root, ['run', '--rm', ...flags, 'bb:1', 'true']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(containers().length).toBe(before);
    expect(volumes().length).toBe(volumesBefore);
  });

  it('volume create refuses a name with / or ..', async () => {
    for (const name of ['x/y', '..']) {
      const result = await runCli(t.root, ['volume', 'create', name]);
      expect(result.code).toBe(2);
      expect(result.stderr.split('\n')).toHaveLength(2);
    }
    expect(volumes()).not.toContain('x');
  });
});
