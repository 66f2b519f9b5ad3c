// cgroup v2 as a real kernel behaves where isobench's v2 code depends on it. Runs on a pure cgroup
// v2 host only: the v2 test guest of test/guest/ (npm run test:guest), or a v2 development machine.
// Delegation from the root down and the no-internal-processes rule, memory.events and
// memory.peak, pids.max and pids.events, cpu.max and its throttling, cgroup.kill before rmdir.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CgroupHandle,
  type CgroupManager,
  detectCgroupHost,
  openCgroupManager,
} from '../../src/container/cgroups/index.js';
import { parseFlatKeyed } from '../../src/container/cgroups/parse-cgroup-files.js';
import { requireHost } from '../support/host.js';
import { CGROUP_ROOT, findCgroupsNamed, spawnInCgroup, waitExit, waitFor, waitJoined } from './cgroup-fixture.js';
import { ensureProbeBuilt } from './targets-fixture.js';

await requireHost('root');

const isRoot = process.getuid?.() === 0;
const isV2 = (await detectCgroupHost().catch(() => undefined))?.mode === 'v2';
const PARENT = `isobench-v2-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
/** Two levels, so delegation is checked through an intermediate cgroup too. */
const PARENT_PATH = `${PARENT}/inner`;
const MIB = 1024 * 1024;

const dirOf = (rel: string) => path.join(CGROUP_ROOT, rel);
const readText = (rel: string, file: string) => readFileSync(path.join(dirOf(rel), file), 'utf8');
const readKeyed = (rel: string, file: string) => parseFlatKeyed(readText(rel, file));
const controllersEnabled = (rel: string) => readText(rel, 'cgroup.subtree_control').trim().split(' ');

describe.skipIf(!isRoot || !isV2)('cgroup v2 kernel semantics (needs root and a pure cgroup v2 host)', () => {
  let manager: CgroupManager;
  const handles: CgroupHandle[] = [];
  const children: ChildProcess[] = [];
  const extraDirs: string[] = [];

  beforeAll(async () => {
    manager = await openCgroupManager({ parent: PARENT_PATH });
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const handle of handles) await handle.destroy();
    for (const dir of extraDirs) {
      await waitFor(async () => readText(path.relative(CGROUP_ROOT, dir), 'cgroup.procs') === '', `${dir} to empty`);
      rmdirSync(dir);
    }
    expect(findCgroupsNamed(PARENT)).toEqual([]);
  });

  async function create(id: string, limits: Parameters<CgroupManager['create']>[1]): Promise<CgroupHandle> {
    const handle = await manager.create(id, limits);
    handles.push(handle);
    return handle;
  }

  function start(handle: CgroupHandle, script: string): { child: ChildProcess; exited: ReturnType<typeof waitExit> } {
    const child = spawnInCgroup(handle, script);
    children.push(child);
    return { child, exited: waitExit(child) };
  }

  it('enables memory, cpu and pids from the root down to the parent, and keeps processes only in leaves', async () => {
    const handle = await create('delegated', { memoryBytes: 64 * MIB, cpus: 0.5, pidsLimit: 16 });
    const { child } = start(handle, 'exec sleep 1000');
    await waitJoined(handle, child.pid!);
    for (const level of ['', PARENT, PARENT_PATH]) {
      expect(controllersEnabled(level)).toEqual(expect.arrayContaining(['memory', 'cpu', 'pids']));
    }
    for (const level of [PARENT, PARENT_PATH]) expect(readText(level, 'cgroup.procs')).toBe('');
    expect(handle.procsFiles).toEqual([path.join(dirOf(`${PARENT_PATH}/delegated`), 'cgroup.procs')]);
    // The container's cgroup holds the workload, so it enables nothing for children of its own.
    expect(readText(`${PARENT_PATH}/delegated`, 'cgroup.subtree_control').trim()).toBe('');
    // A second container next to a running one: the parent holds no process, so this works.
    await create('neighbour', { memoryBytes: 32 * MIB });
    expect(readText(`${PARENT_PATH}/neighbour`, 'memory.max').trim()).toBe(String(32 * MIB));
  });

  it('refuses a parent below a cgroup that holds processes, naming the rule, and creates nothing', async () => {
    // A cgroup with a process in it, as a systemd service's own cgroup is.
    const busy = dirOf(`${PARENT}-busy`);
    mkdirSync(busy);
    extraDirs.push(busy);
    const child = spawn('sh', ['-c', `echo $$ > ${busy}/cgroup.procs && exec sleep 1000`], { stdio: 'ignore' });
    children.push(child);
    await waitFor(async () => readText(`${PARENT}-busy`, 'cgroup.procs') !== '', 'sleep to join the busy cgroup');
    const below = await openCgroupManager({ parent: `${PARENT}-busy/containers` });
    const attempt = below.create('refused', { memoryBytes: 32 * MIB });
    await expect(attempt).rejects.toMatchObject({
      code: 'ENVIRONMENT',
      message: expect.stringContaining(`${busy} holds processes`),
      hint: expect.stringContaining('ISOBENCH_CGROUP_PARENT'),
    });
    expect(existsSync(path.join(busy, 'containers'))).toBe(false);
    expect(readText(`${PARENT}-busy`, 'cgroup.subtree_control').trim()).toBe('');
    child.kill('SIGKILL');
  });

  it('counts the OOM kill in memory.events and keeps the peak in memory.peak', async () => {
    const limitBytes = 32 * MIB;
    const handle = await create('oom', { memoryBytes: limitBytes });
    const rel = `${PARENT_PATH}/oom`;
    expect(readKeyed(rel, 'memory.events').oom_kill).toBe(0);
    const { exited } = start(handle, `exec ${ensureProbeBuilt()} alloc=100`);
    expect((await exited).signal).toBe('SIGKILL');
    const events = readKeyed(rel, 'memory.events');
    expect(events.max).toBeGreaterThanOrEqual(1);
    expect(events.oom_kill).toBeGreaterThanOrEqual(1);
    expect(await handle.readOomKills()).toBe(events.oom_kill);
    // memory.peak exists from Linux 5.19; the OOM killer runs only once the charge reached the limit.
    if (existsSync(path.join(dirOf(rel), 'memory.peak'))) {
      const peakBytes = Number(readText(rel, 'memory.peak'));
      expect(peakBytes).toBeGreaterThan(0.9 * limitBytes);
      expect((await handle.readStats()).memoryPeakBytes).toBe(peakBytes);
    }
  });

  it('refuses forks beyond pids.max and counts them in pids.events', async () => {
    const handle = await create('pids', { pidsLimit: 2 });
    const rel = `${PARENT_PATH}/pids`;
    expect(readText(rel, 'pids.max').trim()).toBe('2');
    const { exited } = start(handle, 'sleep 1 & sleep 1 & sleep 1 & wait');
    expect((await exited).stderr).toMatch(/fork/i);
    expect(readKeyed(rel, 'pids.events').max).toBeGreaterThanOrEqual(1);
  });

  it('writes cpu.max as "quota period", keeps "max" without a limit, and throttles to the quota', async () => {
    await create('cpu-free', {});
    expect(readText(`${PARENT_PATH}/cpu-free`, 'cpu.max').trim()).toBe('max 100000');
    const quotaUs = 10_000;
    const periodUs = 100_000;
    const handle = await create('cpu', { cpus: 0.1 });
    const rel = `${PARENT_PATH}/cpu`;
    expect(readText(rel, 'cpu.max').trim()).toBe(`${quotaUs} ${periodUs}`);
    const startedNs = process.hrtime.bigint();
    const { child } = start(handle, 'exec yes > /dev/null');
    await waitFor(
      async () => readKeyed(rel, 'cpu.stat').usage_usec! >= 5 * quotaUs,
      'the busy loop to use 50 ms',
      60_000,
    );
    const stat = readKeyed(rel, 'cpu.stat');
    const elapsedUs = Number(process.hrtime.bigint() - startedNs) / 1000;
    child.kill('SIGKILL');
    // A task wanting a whole CPU is stopped once it used its quota in a period.
    expect(stat.nr_throttled).toBeGreaterThanOrEqual(1);
    expect(stat.throttled_usec).toBeGreaterThan(0);
    // Unthrottled, the loop would be charged about all the time that passed; held to 10 % it gets
    // far less. Not a per-period bound: a period can overrun its quota (by a tick, or by all the
    // time a VM's vCPU was descheduled while the loop was current, which the guest charges to it).
    expect(stat.usage_usec).toBeLessThan(0.5 * elapsedUs);
  });

  it('kills every process with one cgroup.kill write, which removing the cgroup needs first', async () => {
    const handle = await create('kill', { pidsLimit: 64 });
    const rel = `${PARENT_PATH}/kill`;
    // A shell forking without pause: a pid list read and killed one by one is stale at once.
    const { exited } = start(handle, 'while :; do sleep 100 & done 2>/dev/null');
    await waitFor(async () => (await handle.readPids()).length >= 10, 'the fork loop to fill the cgroup');
    expect(() => rmdirSync(dirOf(rel))).toThrow(/EBUSY/);
    writeFileSync(path.join(dirOf(rel), 'cgroup.kill'), '1');
    await waitFor(async () => readKeyed(rel, 'cgroup.events').populated === 0, 'cgroup.events to say unpopulated');
    expect((await exited).signal).toBe('SIGKILL');
    // destroy() does the same for a fork loop it finds running: kill, then rmdir.
    const second = await create('kill-again', { pidsLimit: 64 });
    start(second, 'while :; do sleep 100 & done 2>/dev/null');
    await waitFor(async () => (await second.readPids()).length >= 10, 'the second fork loop');
    await second.destroy();
    expect(existsSync(dirOf(`${PARENT_PATH}/kill-again`))).toBe(false);
  });
});
