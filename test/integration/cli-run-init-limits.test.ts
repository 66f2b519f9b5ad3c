// `isobench run --init`, `--ulimit`, `--shm-size` and `--cpuset-cpus` through the real CLI, each
// seen from inside the container; bad values refused with one line, exit 2, nothing created.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hardLimitFrom, hasSysResource } from '../../src/container/ulimit.js';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { runCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { makeTestRoot, removeTestRoot, type TestRoot } from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;

beforeAll(async () => {
  t = await makeTestRoot('init-limits');
  await commitBusyboxImage(t.root, 'bb:1', { Env: ['PATH=/bin'], Cmd: ['sh'] });
});

afterAll(async () => {
  if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

const containers = () => readdirSync(path.join(t.root, 'containers')).length;
const sh = (flags: string[], script: string) => runCli(t.root, ['run', '--rm', ...flags, 'bb:1', 'sh', '-c', script]);

/** Expects a refusal: exit 2, one line on stderr matching `pattern`, no container left. */
async function expectRefused(flags: string[], pattern: RegExp): Promise<void> {
  const before = containers();
  const result = await sh(flags, 'true');
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr.split('\n')).toHaveLength(2);
  expect(containers()).toBe(before);
}

/** The zombies in container `name`: /proc/PID/status lines `State: Z (zombie)`. */
async function zombiesIn(name: string): Promise<string[]> {
  const states = await runCli(t.root, ['exec', name, 'sh', '-c', 'grep -h ^State: /proc/[0-9]*/status']);
  expect(states.code).toBe(0);
  return states.stdout.split('\n').filter((line) => line.includes('(zombie)'));
}

describe('run --init', () => {
  it('runs the init as PID 1 and exits with the workload status', async () => {
    expect(await sh(['--init'], 'cat /proc/1/comm; echo $$; exit 7')).toMatchObject({
      code: 7,
      stdout: 'isobench-init\n2\n',
    });
    // Without it the workload is PID 1.
    expect(await sh([], 'echo $$')).toMatchObject({ code: 0, stdout: '1\n' });
  });

  it('reports a command that cannot be exec’d as without it (127)', async () => {
    const result = await runCli(t.root, ['run', '--rm', '--init', 'bb:1', 'no-such-command']);
    expect(result.code).toBe(127);
    expect(result.stderr).toMatch(/^isobench: cannot start the container's command: exec `no-such-command`/);
  });

  it('reaps orphans that a PID 1 workload leaves as zombies', async () => {
    // The subshell's sleep is orphaned and reparented to PID 1: `sleep 60` never reaps it, the init does.
    const script = '(sleep 0.2 &); exec sleep 60';
    expect(
      await runCli(t.root, ['run', '-d', '--name', 'with-init', '--init', 'bb:1', 'sh', '-c', script]),
    ).toMatchObject({
      code: 0,
    });
    expect(await runCli(t.root, ['run', '-d', '--name', 'no-init', 'bb:1', 'sh', '-c', script])).toMatchObject({
      code: 0,
    });
    try {
      for (let i = 0; i < 200 && (await zombiesIn('no-init')).length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await zombiesIn('no-init')).toHaveLength(1);
      // Started first, so its orphan has ended too: reaped.
      expect(await zombiesIn('with-init')).toEqual([]);
    } finally {
      expect(await runCli(t.root, ['rm', '-f', 'with-init', 'no-init'])).toMatchObject({ code: 0 });
    }
  });

  it('forwards SIGTERM from stop to the workload (sleep as PID 1 would ignore it)', async () => {
    expect(await runCli(t.root, ['run', '-d', '--name', 'stoppable', '--init', 'bb:1', 'sleep', '60'])).toMatchObject({
      code: 0,
    });
    try {
      expect(await runCli(t.root, ['stop', '-t', '30', 'stoppable'])).toMatchObject({ code: 0 });
      const ps = await runCli(t.root, ['ps', '-a']);
      expect(ps.stdout).toMatch(/exited \(143\).*stoppable/);
    } finally {
      await runCli(t.root, ['rm', '-f', 'stoppable']);
    }
  });
});

describe('run --ulimit', () => {
  it('sets soft and hard limits inside', async () => {
    expect(
      await sh(['--ulimit', 'nofile=1024:2048', '--ulimit', 'core=-1'], 'ulimit -n; ulimit -Hn; ulimit -c'),
    ).toMatchObject({
      code: 0,
      stdout: '1024\n2048\nunlimited\n',
    });
  });

  it('refuses a hard limit this host cannot raise, or sets it where it can', async () => {
    const ours = hardLimitFrom(readFileSync('/proc/self/limits', 'utf8'), 'nofile');
    if (ours === 'unlimited' || ours === undefined) return;
    const above = ours + 1000;
    if (hasSysResource(readFileSync('/proc/self/status', 'utf8'))) {
      // With CAP_SYS_RESOURCE the kernel lets us (up to fs.nr_open).
      expect(await sh(['--ulimit', `nofile=${above}`], 'ulimit -Hn')).toMatchObject({ code: 0, stdout: `${above}\n` });
    } else {
      await expectRefused(
        ['--ulimit', `nofile=${above}`],
        new RegExp(`^isobench: --ulimit nofile: hard limit ${above} is above ${ours}, .*CAP_SYS_RESOURCE`),
      );
    }
  });

  it('refuses malformed values', async () => {
    await expectRefused(['--ulimit', 'nofile=lots'], /^isobench: expected --ulimit values to be whole numbers/);
    await expectRefused(['--ulimit', 'files=10'], /^isobench: unknown --ulimit resource 'files'/);
  });
});

describe('run --shm-size', () => {
  it('sizes the /dev/shm tmpfs (default 64 MiB)', async () => {
    const shm = "grep ' /dev/shm ' /proc/mounts";
    expect((await sh(['--shm-size', '16m'], shm)).stdout).toMatch(/[ ,]size=16384k/);
    expect((await sh([], shm)).stdout).toMatch(/[ ,]size=65536k/);
  });

  it('refuses a size that is not one', async () => {
    await expectRefused(['--shm-size', 'big'], /^isobench: expected --shm-size to be a size like 512k/);
    await expectRefused(['--shm-size', '0'], /^isobench: expected --shm-size to be at least 4k/);
  });
});

describe('run --cpuset-cpus', () => {
  it('pins the workload to the CPUs given', async () => {
    const result = await sh(['--cpuset-cpus', '0'], 'grep Cpus_allowed_list /proc/self/status');
    expect(result).toMatchObject({ code: 0, stdout: 'Cpus_allowed_list:\t0\n' });
  });

  it('refuses a malformed list and CPUs the host does not have', async () => {
    await expectRefused(['--cpuset-cpus', '1-0'], /^isobench: expected --cpuset-cpus to be a CPU list/);
    await expectRefused(['--cpuset-cpus', '4000'], /^isobench: expected --cpuset-cpus to name CPUs this host offers/);
  });
});
