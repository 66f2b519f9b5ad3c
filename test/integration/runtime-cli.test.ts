// The container CLI commands (the functions the lead wires to commander), run for real against
// a temp state root: output, exit codes and the messages users read.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execCommand } from '../../src/cli/commands/exec.js';
import { gcCommand } from '../../src/cli/commands/gc.js';
import { inspectCommand } from '../../src/cli/commands/inspect.js';
import { killCommand } from '../../src/cli/commands/kill.js';
import { logsCommand } from '../../src/cli/commands/logs.js';
import { psCommand } from '../../src/cli/commands/ps.js';
import { rmCommand } from '../../src/cli/commands/rm.js';
import { runCommand } from '../../src/cli/commands/run.js';
import { stopCommand } from '../../src/cli/commands/stop.js';
import { Runtime } from '../../src/container/index.js';
import { requireHost } from '../support/host.js';
import {
  makeBusyboxImage,
  makeCapturingContext,
  makeTestRoot,
  removeTestRoot,
  type TestRoot,
} from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;

const ctx = () => makeCapturingContext(t.root);

beforeAll(async () => {
  t = await makeTestRoot('cli');
  await makeBusyboxImage(t.root, 'busybox:latest');
});

afterAll(async () => {
  if (!t) return;
  const runtime = await Runtime.open(t.root);
  for (const c of await runtime.list({ all: true })) await runtime.remove(c.id, { force: true });
  await runtime.close();
  expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

describe('run (attached)', () => {
  it('prints the workload output and returns its exit code', async () => {
    const c = ctx();
    expect(await runCommand(c, 'busybox', ['sh', '-c', 'echo hello; echo oops >&2; exit 3'], { rm: true })).toBe(3);
    expect(c.out()).toBe('hello\n');
    expect(c.err()).toBe('oops\n');
  });

  it('applies flags: env, workdir, user, hostname, pids limit', async () => {
    const c = ctx();
    const code = await runCommand(c, 'busybox', ['sh', '-c', 'echo $A; pwd; id -un; hostname'], {
      rm: true,
      env: ['A=b'],
      workdir: '/etc',
      user: 'tester',
      hostname: 'cli-host',
      pidsLimit: '20',
      cpus: '1',
    });
    expect([code, c.out()]).toEqual([0, 'b\n/etc\ntester\ncli-host\n']);
  });

  it('says when the OOM killer ended the container', async () => {
    const c = ctx();
    expect(await runCommand(c, 'busybox', ['tail', '/dev/zero'], { rm: true, memory: '32m' })).toBe(137);
    expect(c.err()).toBe('isobench: container killed by the OOM killer (memory limit 32 MiB)\n');
  });

  it('returns 127 for a command that does not exist, leaving nothing', async () => {
    const c = ctx();
    expect(await runCommand(c, 'busybox', ['nosuchcmd'], { name: 'ghost' })).toBe(127);
    expect(c.err()).toMatch(/^isobench: cannot start the container's command: .*nosuchcmd/);
    const ps = ctx();
    await psCommand(ps, { all: true });
    expect(ps.out()).not.toContain('ghost');
  });

  it('rejects bad flags naming them', async () => {
    await expect(runCommand(ctx(), 'busybox', ['true'], { memory: 'lots' })).rejects.toThrow(/--memory/);
    // bridge and named networks are valid since `network create`; a name no network can have is not.
    await expect(runCommand(ctx(), 'busybox', ['true'], { network: 'no/such' })).rejects.toThrow(/--network/);
  });
});

describe('detached lifecycle', () => {
  it('run -d, ps, logs, exec, inspect, stop, kill, rm, gc', async () => {
    const run = ctx();
    expect(
      await runCommand(run, 'busybox', ['sh', '-c', 'echo started; exec sleep 1000'], { detach: true, name: 'svc' }),
    ).toBe(0);
    const id = run.out().trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const ps = ctx();
    expect(await psCommand(ps)).toBe(0);
    const lines = ps.out().trim().split('\n');
    expect(lines[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+NAME$/);
    expect(lines[1]).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+.*running \\(pid \\d+\\)\\s+svc$`));

    const json = ctx();
    await psCommand(json, { json: true });
    expect(JSON.parse(json.out())).toMatchObject([{ id, name: 'svc', status: 'running' }]);

    const exec = ctx();
    expect(await execCommand(exec, 'svc', ['sh', '-c', 'exit 5'])).toBe(5);

    const inspect = ctx();
    await inspectCommand(inspect, id.slice(0, 6));
    const info = JSON.parse(inspect.out());
    expect(info).toMatchObject({ id, name: 'svc', status: 'running', detached: true });
    expect(info.cgroup.stats.pidsCurrent).toBeGreaterThanOrEqual(1);
    expect(info.cgroup.stats.memoryCurrentBytes).toBeGreaterThan(0);

    const logs = ctx();
    await logsCommand(logs, 'svc');
    expect(logs.out()).toBe('started\n');

    const stop = ctx();
    expect(await stopCommand(stop, ['svc', 'nosuch'], { time: '0.2' })).toBe(3);
    expect(stop.out()).toBe('svc\n');
    expect(stop.err()).toMatch(/^isobench: no container named 'nosuch'/);

    const psAll = ctx();
    await psCommand(psAll, { all: true });
    expect(psAll.out()).toMatch(/signaled \(137\) \d+ s ago\s+svc/);

    const kill = ctx();
    expect(await killCommand(kill, ['svc'])).toBe(4); // not running: CONFLICT
    expect(kill.err()).toContain('cannot kill container svc: it is stopped');

    const rm = ctx();
    expect(await rmCommand(rm, ['svc'])).toBe(0);
    expect(existsSync(path.join(t.root, 'containers', id))).toBe(false);

    const gc = ctx();
    expect(await gcCommand(gc)).toBe(0);
    // The containers line; gc goes on with its other sections (VMs, peers) below it.
    expect(gc.out().split('\n')[0]).toBe('containers: nothing to clean');
  });

  it('logs -f follows until the container stops', async () => {
    const run = ctx();
    await runCommand(run, 'busybox', ['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.1; done'], {
      detach: true,
      name: 'follow',
    });
    const logs = ctx();
    expect(await logsCommand(logs, 'follow', { follow: true })).toBe(0);
    expect(logs.out()).toBe('line1\nline2\nline3\n');
    await rmCommand(ctx(), ['follow']);
  });

  it('rm -f removes a running container; rm without -f refuses with the fix', async () => {
    await runCommand(ctx(), 'busybox', ['sleep', '1000'], { detach: true, name: 'busy' });
    const refused = ctx();
    expect(await rmCommand(refused, ['busy'])).toBe(4);
    expect(refused.err()).toContain('isobench rm -f busy');
    const forced = ctx();
    expect(await rmCommand(forced, ['busy'], { force: true })).toBe(0);
    expect(forced.out()).toBe('busy\n');
  });
});
