// Container lifecycle through the Runtime API: detached runs, ps/logs/stop/rm, exec, names,
// forced removal, and --rm of a detached container.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Runtime } from '../../src/container/index.js';
import { isSameProcessAlive } from '../../src/util/process.js';
import { requireHost } from '../support/host.js';
import { type TestRoot, useRuntimeRoot } from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;
let runtime: Runtime;

async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

useRuntimeRoot('life', (root, rt) => {
  t = root;
  runtime = rt;
});

describe('detached', () => {
  it('runs in the background: ps, logs, stop, rm', async () => {
    const handle = await runtime.run({
      image: 'busybox',
      name: 'bg',
      args: ['sh', '-c', 'echo to-out; echo to-err >&2; sleep 1000'],
      detach: true,
    });
    const listed = await runtime.list();
    expect(listed.map((c) => [c.name, c.status, c.pid])).toEqual([['bg', 'running', handle.pid]]);
    const { stdoutPath, stderrPath } = await runtime.logs('bg');
    await waitFor(() => (readFileSync(stderrPath, 'utf8') === 'to-err\n' ? true : undefined), 'the log');
    expect(readFileSync(stdoutPath, 'utf8')).toBe('to-out\n');

    // sh as PID 1 has no SIGTERM handler, so stop ends with the SIGKILL after the grace period.
    const stopped = await runtime.stop('bg', { timeoutMs: 300 });
    expect(stopped.status).toBe('stopped');
    expect(stopped.exit).toEqual({ exitCode: 137, signal: 'SIGKILL', oomKilled: false, reason: 'signaled' });
    expect(await runtime.list()).toEqual([]);
    expect((await runtime.list({ all: true })).map((c) => c.name)).toEqual(['bg']);
    // A fresh runtime (a new CLI process) derives the same state from disk.
    const fresh = await Runtime.open(t.root);
    expect((await fresh.get('bg')).exit?.signal).toBe('SIGKILL');

    await runtime.remove('bg');
    expect(existsSync(path.join(t.root, 'containers', handle.id))).toBe(false);
    expect(await runtime.context.cgroups.listIds()).not.toContain(handle.id);
    await expect(runtime.get('bg')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('records the exit of a workload that ends by itself', async () => {
    const handle = await runtime.run({ image: 'busybox', args: ['sh', '-c', 'exit 4'], detach: true });
    expect(await handle.wait()).toEqual({ exitCode: 4, oomKilled: false, reason: 'exited' });
    expect((await runtime.get(handle.id.slice(0, 8))).exit?.exitCode).toBe(4);
    await runtime.remove(handle.id);
  });

  it('removes itself with --rm once it exits', async () => {
    const handle = await runtime.run({ image: 'busybox', args: ['sleep', '0.2'], detach: true, remove: true });
    const dir = path.join(t.root, 'containers', handle.id);
    await waitFor(() => (existsSync(dir) ? undefined : true), 'the --rm container to remove itself');
    await waitFor(
      async () => ((await runtime.context.cgroups.listIds()).includes(handle.id) ? undefined : true),
      'its cgroup to go',
    );
  });

  it('stops a container that honours SIGTERM within the grace period', async () => {
    await runtime.run({
      image: 'busybox',
      name: 'polite',
      args: ['sh', '-c', "trap 'exit 0' TERM; while :; do sleep 0.05; done"],
      detach: true,
    });
    await sleep(200); // let the trap be installed
    const stopped = await runtime.stop('polite', { timeoutMs: 5_000 });
    expect(stopped.exit).toEqual({ exitCode: 0, oomKilled: false, reason: 'exited' });
    await runtime.remove('polite');
  });
});

describe('exec', () => {
  it('runs inside the container: its files, hostname, env and user', async () => {
    await runtime.run({
      image: 'busybox',
      name: 'target',
      hostname: 'exec-host',
      env: ['FROM_RUN=1'],
      args: ['sh', '-c', 'echo data > /made-by-init; exec sleep 1000'],
      detach: true,
    });
    await waitFor(async () => {
      const r = await runtime.exec('target', ['test', '-f', '/made-by-init'], { stdio: 'pipe' });
      return r.exitCode === 0 ? true : undefined;
    }, 'the init to write its file');
    const r = await runtime.exec('target', ['sh', '-c', 'cat /made-by-init; hostname; echo $FROM_RUN $X; id -u; pwd'], {
      stdio: 'pipe',
      env: ['X=2'],
      user: 'tester',
      workdir: '/tmp',
    });
    expect(r).toMatchObject({ exitCode: 0, reason: 'exited', stdout: 'data\nexec-host\n1 2\n1000\n/tmp\n' });
    expect((await runtime.exec('target', ['sh', '-c', 'exit 9'], { stdio: 'pipe' })).exitCode).toBe(9);
    await runtime.remove('target', { force: true });
  });

  it('refuses a container that is not running', async () => {
    const h = await runtime.run({ image: 'busybox', name: 'done', args: ['true'], stdio: 'ignore' });
    await h.wait();
    await expect(runtime.exec('done', ['true'])).rejects.toMatchObject({ code: 'CONFLICT' });
    await runtime.remove('done');
  });
});

describe('names and removal', () => {
  it('refuses a taken name, naming the holder and the fix', async () => {
    await runtime.run({ image: 'busybox', name: 'dup', args: ['sleep', '1000'], detach: true });
    const attempt = runtime.run({ image: 'busybox', name: 'dup', args: ['true'], detach: true });
    await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining("'dup'") });
    await expect(attempt).rejects.toMatchObject({ hint: expect.stringContaining('isobench rm -f dup') });
    expect((await runtime.list({ all: true })).filter((c) => c.name === 'dup')).toHaveLength(1);
  });

  it('refuses to remove a running container without force, kills it with force', async () => {
    const record = await runtime.get('dup');
    await expect(runtime.remove('dup')).rejects.toMatchObject({
      code: 'CONFLICT',
      hint: expect.stringContaining('isobench rm -f dup'),
    });
    expect(isSameProcessAlive(record.pid, record.pidStartTime)).toBe(true);
    await runtime.remove('dup', { force: true });
    expect(isSameProcessAlive(record.pid, record.pidStartTime)).toBe(false);
    expect(existsSync(path.join(t.root, 'containers', record.id))).toBe(false);
    expect(await runtime.context.cgroups.listIds()).not.toContain(record.id);
    // The name is free again.
    const again = await runtime.run({ image: 'busybox', name: 'dup', args: ['true'], stdio: 'ignore', remove: true });
    await again.wait();
  });

  it('kills with a chosen signal and rejects unknown ones', async () => {
    const h = await runtime.run({ image: 'busybox', name: 'sig', args: ['sleep', '1000'], detach: true });
    await expect(runtime.kill('sig', 'SIGNOPE')).rejects.toMatchObject({ code: 'INPUT' });
    await runtime.kill('sig', 'KILL');
    expect(await h.wait()).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    await expect(runtime.kill('sig')).rejects.toMatchObject({ code: 'CONFLICT' });
    await runtime.remove('sig');
  });
});
