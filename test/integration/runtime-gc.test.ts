// What gc cleans after crashes: a workload whose monitor died, a container whose creator died
// while creating it, cgroups without a container, and stale temp entries; and what it leaves.
import { spawn } from 'node:child_process';
import { existsSync, promises as fs, mkdirSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/container/index.js';
import {
  type ContainerRecord,
  containerPaths,
  generateContainerId,
  STATE_SCHEMA_VERSION,
  writeRecord,
} from '../../src/container/state.js';
import { isSameProcessAlive, readProcessStartTicks } from '../../src/util/process.js';
import { requireHost } from '../support/host.js';
import { exitOf, useRuntimeRoot, waitUntil } from './runtime-fixture.js';

await requireHost('root');

let runtime: Runtime;

useRuntimeRoot('gc', (_root, rt) => {
  runtime = rt;
});

describe('gc', () => {
  it('kills a workload whose monitor was killed and marks it stopped', async () => {
    const handle = await runtime.run({ image: 'busybox', name: 'orphan', args: ['sleep', '1000'], detach: true });
    const record = await runtime.get('orphan');
    // The helper's PDEATHSIG usually takes the workload down with a killed monitor; to test the
    // case where it does not, the record is pointed at a monitor that is certainly dead.
    const dead = spawn('true');
    await exitOf(dead);
    writeRecord(containerPaths(runtime.context.layout.containers, record.id), { ...record, monitorPid: dead.pid! });
    expect(isSameProcessAlive(handle.pid, record.pidStartTime)).toBe(true);
    const report = await runtime.gc();
    expect(report.killedOrphans).toEqual([`${record.id.slice(0, 12)} (orphan)`]);
    await waitUntil(() => !isSameProcessAlive(handle.pid, record.pidStartTime), 'the orphan to die');
    expect(await runtime.get('orphan')).toMatchObject({
      status: 'stopped',
      statusDetail: 'killed by gc: its monitor had died',
    });
    await runtime.remove('orphan');
  });

  it('records a container whose monitor was really killed as stopped', async () => {
    await runtime.run({ image: 'busybox', name: 'monitorless', args: ['sleep', '1000'], detach: true });
    const record = await runtime.get('monitorless');
    process.kill(record.monitorPid!, 'SIGKILL');
    await waitUntil(() => !isSameProcessAlive(record.monitorPid, record.monitorStartTime), 'the monitor to die');
    // Whether PDEATHSIG or gc ends the workload, afterwards it is stopped and its processes gone.
    await runtime.gc();
    await waitUntil(() => !isSameProcessAlive(record.pid, record.pidStartTime), 'the workload to die');
    expect((await runtime.get('monitorless')).status).toBe('stopped');
    await runtime.remove('monitorless');
  });

  it('removes a container whose creator died while creating it, and cgroups without a container', async () => {
    const id = generateContainerId();
    const paths = containerPaths(runtime.context.layout.containers, id);
    mkdirSync(paths.dir);
    // A creator that is certainly dead: a child that already exited.
    const dead = spawn('true');
    await exitOf(dead);
    const record: ContainerRecord = {
      schemaVersion: STATE_SCHEMA_VERSION,
      id,
      name: 'half-made',
      image: { ref: 'busybox', digest: 'sha256:x' },
      lowerDirs: [],
      args: ['true'],
      env: [],
      cwd: '/',
      user: '',
      uid: 0,
      gid: 0,
      hostname: 'h',
      network: 'none',
      limits: {},
      stopSignal: 'SIGTERM',
      createdAt: new Date().toISOString(),
      status: 'creating',
      creatorPid: dead.pid!,
      creatorStartTime: 1,
      detached: false,
      remove: false,
      cgroupDirs: [],
    };
    writeRecord(paths, record);
    await runtime.context.cgroups.create(id, {});
    const orphanCgroup = generateContainerId();
    await runtime.context.cgroups.create(orphanCgroup, {});

    const report = await runtime.gc();
    expect(report.removedContainers).toEqual([`${id.slice(0, 12)} (half-made): its creator died while creating it`]);
    expect(report.removedCgroups).toEqual([orphanCgroup]);
    expect(existsSync(paths.dir)).toBe(false);
    expect(await runtime.context.cgroups.listIds()).toEqual([]);
  });

  it('removes stale temp entries of dead owners only', async () => {
    const tmp = runtime.context.layout.tmp;
    const dead = spawn('true');
    await exitOf(dead);
    const old = new Date(Date.now() - 5 * 60_000);
    const staleDead = path.join(tmp, `rm-${dead.pid}-stale`);
    const freshDead = path.join(tmp, `rm-${dead.pid}-fresh`);
    const staleAlive = path.join(tmp, `rm-${process.pid}-mine`);
    for (const dir of [staleDead, freshDead, staleAlive]) mkdirSync(path.join(dir, 'inner'), { recursive: true });
    utimesSync(staleDead, old, old);
    utimesSync(staleAlive, old, old);
    const report = await runtime.gc();
    expect(report.removedTmpEntries).toEqual([staleDead]);
    expect([existsSync(staleDead), existsSync(freshDead), existsSync(staleAlive)]).toEqual([false, true, true]);
    await fs.rm(freshDead, { recursive: true });
    await fs.rm(staleAlive, { recursive: true });
  });

  it('leaves a live container alone', async () => {
    await runtime.run({ image: 'busybox', name: 'alive', args: ['sleep', '1000'], detach: true });
    const report = await runtime.gc();
    expect(Object.values(report).flat()).toEqual([]);
    expect((await runtime.get('alive')).status).toBe('running');
    expect(readProcessStartTicks((await runtime.get('alive')).pid!)).toBeDefined();
    await runtime.remove('alive', { force: true });
  });
});
