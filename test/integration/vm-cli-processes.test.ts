// VM commands as separate CLI processes, for what only independent processes show: `vm ps` after
// the CLI of an attached VM was killed by SIGKILL, and parallel `vm run -d` racing for one name.
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RootLayout, rootLayout } from '../../src/paths.js';
import { isSameProcessAlive } from '../../src/util/process.js';
import { runVm } from '../../src/vm/index.js';
import { OWNER_DIED_DETAIL } from '../../src/vm/vm-refresh.js';
import type { VmState } from '../../src/vm/vm-state.js';
import { finished, runCli, spawnCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { buildVmBusyboxImage } from './vm-fixture.js';

await requireHost('root', 'qemu');

const run = promisify(execFile);
const IMAGE = 'vmtest:busybox';

let root: string;
let layout: RootLayout;

/** QEMU processes whose command line mentions the test root. */
async function qemuProcessesUnder(dir: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid,args']);
  return stdout.split('\n').filter((line) => line.includes('qemu-system') && line.includes(dir));
}

/** Polls `check` until it gives a value (a generous deadline: TCG boots take seconds on a loaded host). */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function vmPs(all: boolean): Promise<VmState[]> {
  const result = await runCli(root, ['vm', 'ps', ...(all ? ['-a'] : []), '--json']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as VmState[];
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-vm-cli-'));
  layout = rootLayout(root);
  await buildVmBusyboxImage(root, {
    dirs: ['bin', 'etc', 'tmp'],
    applets: ['sh', 'echo', 'sleep'],
    passwd: 'root:x:0:0:root:/root:/bin/sh\n',
    env: ['PATH=/bin'],
  });
  await runVm(layout, { image: IMAGE }); // warms the kernel, initramfs and disk caches
});

afterAll(async () => {
  if (!root) return;
  const left = await qemuProcessesUnder(root);
  for (const line of left) process.kill(Number.parseInt(line.trim(), 10), 'SIGKILL');
  await fs.rm(root, { recursive: true, force: true });
  expect(left).toEqual([]);
});

describe('an attached VM whose CLI was killed by SIGKILL', () => {
  it.each([
    ['kept', false],
    ['--rm', true],
  ])('is not shown as running by vm ps (%s)', async (_label, remove) => {
    const name = remove ? 'killed-rm' : 'killed';
    const cli = spawnCli(root, ['vm', 'run', ...(remove ? ['--rm'] : []), '--name', name, IMAGE, 'sleep', '600']);
    const cliDone = finished(cli);
    const vm = await waitFor('the VM to run', async () =>
      (await vmPs(false)).find((v) => v.name === name && v.status === 'running' && v.qemuStartTicks !== undefined),
    );
    cli.kill('SIGKILL');
    expect((await cliDone).signal).toBe('SIGKILL');
    // QEMU dies with its owner (setpriv --pdeathsig KILL).
    await waitFor('QEMU to die with its CLI', async () =>
      isSameProcessAlive(vm.qemuPid, vm.qemuStartTicks) ? undefined : true,
    );

    expect((await vmPs(false)).filter((v) => v.name === name)).toEqual([]);
    const all = (await vmPs(true)).filter((v) => v.name === name);
    if (remove) {
      expect(all).toEqual([]);
      expect(existsSync(path.join(layout.vm, 'vms', vm.id))).toBe(false);
      return;
    }
    expect(all).toEqual([expect.objectContaining({ id: vm.id, status: 'exited', statusDetail: OWNER_DIED_DETAIL })]);
    expect(all[0]?.exitCode).toBeUndefined();
    // The refresh was recorded: the state on disk says exited too.
    const onDisk = JSON.parse(await fs.readFile(path.join(layout.vm, 'vms', vm.id, 'state.json'), 'utf8'));
    expect(onDisk.status).toBe('exited');
    expect(await runCli(root, ['vm', 'rm', name])).toMatchObject({ code: 0, stdout: `${name}\n` });
  });
});

describe('VM names under concurrency', () => {
  it('five parallel `vm run -d --name vrace`: one VM, four name conflicts, and rm -f leaves nothing', async () => {
    const args = ['vm', 'run', '-d', '--name', 'vrace', IMAGE, 'sleep', '600'];
    const results = await Promise.all(Array.from({ length: 5 }, () => runCli(root, args)));
    const winners = results.filter((r) => r.code === 0);
    const losers = results.filter((r) => r.code !== 0);
    expect(winners).toHaveLength(1);
    for (const loser of losers) {
      expect(loser.code).toBe(4); // EXIT_STATUS.CONFLICT
      expect(loser.stderr).toMatch(
        /^isobench: the VM name 'vrace' is already used by VM [0-9a-f]{12} \((created|running)\); remove it with `isobench vm rm -f vrace`, or choose another --name$/m,
      );
    }
    const id = winners[0]!.stdout.trim();
    // The losers left no VM dir behind, and the winner is the one VM of that name.
    expect((await vmPs(true)).map((v) => [v.id, v.name, v.status])).toEqual([[id, 'vrace', 'running']]);

    expect(await runCli(root, ['vm', 'rm', '-f', 'vrace'])).toMatchObject({ code: 0, stdout: 'vrace\n' });
    expect(await vmPs(true)).toEqual([]);
    expect(await qemuProcessesUnder(root)).toEqual([]);
  });
});
