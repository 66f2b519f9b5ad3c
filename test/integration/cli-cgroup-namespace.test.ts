// The cgroup namespace view, through the real CLI: inside a container /proc/self/cgroup names
// the container's own cgroups as `/` (its cgroup namespace roots there), for `run` and for an
// `exec` into it, so no host cgroup path leaks into the container.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { runCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { makeTestRoot, removeTestRoot, type TestRoot } from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;

beforeAll(async () => {
  t = await makeTestRoot('cgroupns');
  await commitBusyboxImage(t.root, 'cg:1', { Env: ['PATH=/bin'], Cmd: ['sh'] });
});

afterAll(async () => {
  if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

/** The path field of each /proc/self/cgroup line (`ID:CONTROLLERS:PATH`). */
const paths = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => line.split(':').slice(2).join(':'));

describe('cgroup namespace', () => {
  it('run and exec see every hierarchy of /proc/self/cgroup as /', async () => {
    const run = await runCli(t.root, ['run', '--rm', 'cg:1', 'cat', '/proc/self/cgroup']);
    expect(run.code, run.stderr).toBe(0);
    expect(paths(run.stdout).length).toBeGreaterThan(0);
    expect(new Set(paths(run.stdout)), run.stdout).toEqual(new Set(['/']));

    const name = 'cgns';
    const started = await runCli(t.root, ['run', '-d', '--name', name, 'cg:1', 'sleep', '60']);
    expect(started.code, started.stderr).toBe(0);
    try {
      const exec = await runCli(t.root, ['exec', name, 'cat', '/proc/self/cgroup']);
      expect(exec.code, exec.stderr).toBe(0);
      expect(new Set(paths(exec.stdout)), exec.stdout).toEqual(new Set(['/']));
    } finally {
      await runCli(t.root, ['rm', '-f', name]);
    }
  });
});
