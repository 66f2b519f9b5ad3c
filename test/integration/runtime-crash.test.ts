// What crashes leave and gc cleans: a CLI killed by SIGKILL mid-run, Ctrl-C in an attached run,
// a killed monitor, a half-created container, an orphan cgroup and stale temp dirs.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, promises as fs, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/container/index.js';
import {
  type ContainerRecord,
  containerPaths,
  generateContainerId,
  STATE_SCHEMA_VERSION,
  writeRecord,
} from '../../src/container/state.js';
import { packageDir } from '../../src/paths.js';
import { isSameProcessAlive, readProcessStartTicks } from '../../src/util/process.js';
import { requireHost } from '../support/host.js';
import { makeBusyboxImage, makeTestRoot, removeTestRoot, type TestRoot } from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;
let runtime: Runtime;
const children: ChildProcess[] = [];

const VITE_NODE = path.join(packageDir(), 'node_modules', 'vite-node', 'vite-node.mjs');
const SRC = path.join(packageDir(), 'src');

/** Starts a TypeScript program (run by vite-node) in a child node process; resolves its first stdout line. */
async function startChild(name: string, source: string): Promise<{ child: ChildProcess; firstLine: string }> {
  const file = path.join(t.root, `${name}.ts`);
  writeFileSync(file, source);
  const child = spawn(process.execPath, [VITE_NODE, file], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`child ${name} exited ${code} early: ${stderr}`)));
  });
  return { child, firstLine };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A child that runs an attached container through the Runtime and prints its record. */
const attachedRunner = (remove: boolean) => `
import { Runtime } from '${SRC}/container/index.ts';
const runtime = await Runtime.open(${JSON.stringify(t.root)});
const handle = await runtime.run({ image: 'busybox', args: ['sleep', '1000'], stdio: 'ignore', remove: ${remove} });
console.log(JSON.stringify({ id: handle.id, pid: handle.pid }));
await handle.wait();
`;

beforeAll(async () => {
  t = await makeTestRoot('crash');
  await makeBusyboxImage(t.root, 'busybox:latest');
  runtime = await Runtime.open(t.root);
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (runtime) {
    for (const c of await runtime.list({ all: true })) await runtime.remove(c.id, { force: true });
    await runtime.gc();
    await runtime.close();
  }
  if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

describe('a CLI killed by SIGKILL', () => {
  it.each([true, false])('takes its container down; gc cleans up (remove=%s)', async (remove) => {
    const { child, firstLine } = await startChild(`attached-${remove}`, attachedRunner(remove));
    const { id, pid } = JSON.parse(firstLine) as { id: string; pid: number };
    const record = await runtime.get(id);
    expect(record.status).toBe('running');
    child.kill('SIGKILL');
    await exitOf(child);
    // PDEATHSIG on the helper side ends the workload.
    await waitUntil(() => !isSameProcessAlive(pid, record.pidStartTime), 'the workload to die with its CLI');
    const after = await runtime.get(id);
    expect(after.status).toBe('stopped');
    expect(after.statusDetail).toBe('the attached isobench process died before recording the exit');

    const report = await runtime.gc();
    if (remove) {
      expect(report.removedContainers).toEqual([`${id.slice(0, 12)} (${record.name}): stopped --rm container`]);
      expect(existsSync(path.join(t.root, 'containers', id))).toBe(false);
    } else {
      // The refresh above already recorded it as stopped; gc leaves a kept container for `rm`.
      expect(report.removedContainers).toEqual([]);
      await runtime.remove(id);
    }
    expect(await runtime.context.cgroups.listIds()).not.toContain(id);
  });
});

describe('Ctrl-C in an attached `isobench run`', () => {
  it('kills the container, removes it (--rm) and exits 130', async () => {
    const source = `
import { runCommand } from '${SRC}/cli/commands/run.ts';
import { makeCliContext } from '${SRC}/cli/context.ts';
import { Runtime } from '${SRC}/container/index.ts';
const ctx = makeCliContext(${JSON.stringify(t.root)});
const running = runCommand(ctx, 'busybox', ['sleep', '1000'], { rm: true, name: 'interrupted' });
const runtime = await Runtime.open(ctx.root);
for (;;) {
  const found = (await runtime.list()).find((c) => c.name === 'interrupted' && c.status === 'running');
  if (found) { console.log(JSON.stringify({ id: found.id })); break; }
  await new Promise((r) => setTimeout(r, 20));
}
const code = await running;
await runtime.close();
process.exit(code);
`;
    const { child, firstLine } = await startChild('ctrl-c', source);
    const { id } = JSON.parse(firstLine) as { id: string };
    child.kill('SIGINT');
    // sleep as PID 1 ignores the forwarded SIGTERM: the SIGKILL after the grace period ends it.
    expect(await exitOf(child)).toEqual({ code: 130, signal: null });
    await waitUntil(() => !existsSync(path.join(t.root, 'containers', id)), 'the --rm container to be removed');
    expect(await runtime.context.cgroups.listIds()).not.toContain(id);
  });
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
