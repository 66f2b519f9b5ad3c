// The runc CVE classes, tried from inside containers through the real CLI (`run`, `exec`):
// - CVE-2019-5736: while `exec` joins a container, a process in it must not reach the host's
//   helper binary through /proc/PID/exe (a static watcher tries, see exe-watch.c: it opens for
//   writing at most, and never writes; the helper's hash is compared before and after anyway).
// - CVE-2024-21626: no fd past 0-2 reaches the workload, and a working dir such as
//   /proc/self/fd/N cannot put it outside the container's root.
// Each test fails on a runtime with the bug; none changes the host.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helperBinary } from '../../src/paths.js';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { runCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { makeTestRoot, removeTestRoot, type TestRoot, waitUntil } from './runtime-fixture.js';

await requireHost('root');

const WATCHER = path.join(import.meta.dirname, '..', 'fixtures', 'escape', 'exe-watch.c');

let t: TestRoot;

beforeAll(async () => {
  t = await makeTestRoot('exec-hardening');
  const binary = path.join(t.root, 'exe-watch');
  execFileSync('cc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, WATCHER]);
  await commitBusyboxImage(
    t.root,
    'hard:1',
    { Env: ['PATH=/usr/bin:/bin'], Cmd: ['sh'] },
    { files: [{ source: binary, target: '/usr/bin/exe-watch' }] },
  );
});

afterAll(async () => {
  if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The stdout log of a detached container (by id, as `run -d` prints it) as lines. */
function logLines(id: string): string[] {
  const file = path.join(t.root, 'containers', id.trim(), 'stdout.log');
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

/**
 * A PATH of thousands of missing dirs before /bin: the exec'd process tries each (ENOENT) before
 * its execve succeeds, which holds it in the container, still the helper, for milliseconds.
 */
const SLOW_PATH = `PATH=${Array.from({ length: 3000 }, (_, i) => `/nonexistent-${i}`).join(':')}:/bin`;

describe('CVE-2019-5736: the host helper is out of reach while exec joins a container', () => {
  it.each([
    ['default capabilities', [], /^\d+ denied EACCES$/],
    ['CAP_SYS_PTRACE added', ['--cap-add', 'SYS_PTRACE'], /^\d+ exe \d+:\d+ \/memfd:isobench-helper/],
  ])('%s: /proc/PID/exe of the joining process is not the host binary', async (_label, flags, seen) => {
    const helper = helperBinary();
    const before = sha256(helper);
    const { dev, ino } = statSync(helper);
    const name = `watch-${flags.length}`;
    const started = await runCli(t.root, ['run', '-d', '--name', name, ...flags, 'hard:1', 'exe-watch', '120']);
    expect(started.code, started.stderr).toBe(0);
    try {
      await waitUntil(() => logLines(started.stdout).includes('watching'), 'the watcher to start');
      // Until the watcher has caught an exec'd process before its execve (or 15 tries).
      let lines: string[] = [];
      for (let i = 0; i < 15 && !lines.some((l) => seen.test(l)); i++) {
        const r = await runCli(t.root, ['exec', '-e', SLOW_PATH, name, 'true']);
        expect(r.code, r.stderr).toBe(0);
        lines = logLines(started.stdout);
      }
      // The window was observed (so the test can fail) ...
      expect(lines.filter((l) => seen.test(l)).length, lines.join('\n')).toBeGreaterThan(0);
      // ... and nothing the container opened was the host's helper.
      for (const line of lines) {
        expect(line).not.toContain(` ${dev}:${ino} `);
        expect(line).not.toMatch(/exe \S+ \/(?!memfd:)\S*isobench-helper/);
      }
    } finally {
      await runCli(t.root, ['rm', '-f', name]);
    }
    expect(sha256(helper)).toBe(before);
  });
});

/** fd numbers busybox sh lists for itself: `; true` keeps sh from exec'ing ls, whose own dir fd would show. */
const OWN_FDS = ['sh', '-c', 'ls /proc/$$/fd; true'];

describe('CVE-2024-21626: no host fd or host cwd reaches the workload', () => {
  it('run (attached and detached) and exec: the workload holds fds 0, 1 and 2 only', async () => {
    const attached = await runCli(t.root, ['run', '--rm', 'hard:1', ...OWN_FDS]);
    expect(attached.code, attached.stderr).toBe(0);
    expect(attached.stdout.split(/\s+/).filter(Boolean)).toEqual(['0', '1', '2']);

    const name = 'fds';
    const started = await runCli(t.root, [
      'run',
      '-d',
      '--name',
      name,
      'hard:1',
      'sh',
      '-c',
      'ls /proc/$$/fd; sleep 60',
    ]);
    expect(started.code, started.stderr).toBe(0);
    try {
      await waitUntil(() => logLines(started.stdout).length >= 3, 'the fd listing');
      expect(logLines(started.stdout)).toEqual(['0', '1', '2']);
      const exec = await runCli(t.root, ['exec', name, ...OWN_FDS]);
      expect(exec.code, exec.stderr).toBe(0);
      expect(exec.stdout.split(/\s+/).filter(Boolean)).toEqual(['0', '1', '2']);
    } finally {
      await runCli(t.root, ['rm', '-f', name]);
    }
  });

  /** Either the start is refused (the workload never ran) or its cwd is a path inside its root. */
  function expectInsideOrRefused(r: { code: number | null; stdout: string; stderr: string }, fd: number) {
    if (!r.stdout.includes('started')) {
      expect(r.code, `fd ${fd}: ${r.stderr}`).not.toBe(0);
      return;
    }
    // pwd -P is getcwd(3): it fails for a cwd the container's root cannot reach.
    expect(r.code, `fd ${fd}: ${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^started\n\/\S*\n$/);
  }

  const PROBE = ['sh', '-c', 'echo started; pwd -P'];

  it('run -w /proc/self/fd/N (N = 3..10) fails or resolves inside the container', async () => {
    for (let fd = 3; fd <= 10; fd++) {
      expectInsideOrRefused(await runCli(t.root, ['run', '--rm', '-w', `/proc/self/fd/${fd}`, 'hard:1', ...PROBE]), fd);
    }
  });

  it('exec -w /proc/self/fd/N (N = 3..10) fails or resolves inside the container', async () => {
    const name = 'cwd';
    const started = await runCli(t.root, ['run', '-d', '--name', name, 'hard:1', 'sleep', '60']);
    expect(started.code, started.stderr).toBe(0);
    try {
      for (let fd = 3; fd <= 10; fd++) {
        expectInsideOrRefused(await runCli(t.root, ['exec', '-w', `/proc/self/fd/${fd}`, name, ...PROBE]), fd);
      }
    } finally {
      await runCli(t.root, ['rm', '-f', name]);
    }
  });
});
