// A seeded chaos run against the real CLI on a temp root: three lanes of randomized lifecycle
// operations (run -d, run -d --rm, run --rm, exec, stop, kill, rm -f) over a small pool of names,
// with CLI processes SIGKILLed at random moments of their life (a seeded fraction of how long that
// kind of operation took un-killed on this machine). Then `gc` must leave `ps -a` true to /proc, and
// after `rm -f` of everything and `gc` nothing may be left: no mount, cgroup, process (workload,
// helper or monitor; a network namespace lives only as long as one of them or a mount) and no
// entry in the root's tmp or containers dir. The op list and the kill moments come from the seed,
// printed first; replay with ISOBENCH_CHAOS_SEED=<seed>. Outcomes do not depend on when a kill
// lands: every assertion holds whatever each process got done before it died.
// VMs are not in the mix: preparing a guest (kernel, initramfs, disk) in a fresh root alone takes
// about a minute; vm-cli-processes.test.ts covers VM name races and a SIGKILLed `vm run`.
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import type { ContainerRecord } from '../../src/container/state.js';
import { helperBinary, type RootLayout, rootLayout } from '../../src/paths.js';
import { createRandom } from '../../src/stats/random.js';
import { findProcessesByArgv, isSameProcessAlive } from '../../src/util/process.js';
import { type CliResult, ensureCliBuilt, finished, runCli, spawnCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { makeBusyboxImage, makeTestRoot, removeTestRoot, type TestRoot } from './runtime-fixture.js';

await requireHost('root');

const SEED = process.env.ISOBENCH_CHAOS_SEED ? Number(process.env.ISOBENCH_CHAOS_SEED) : randomInt(2 ** 31);
const LANES = 3;
const OPS_PER_LANE = 20;
/** Share of operations whose CLI is SIGKILLed. */
const KILL_SHARE = 0.3;
/** A CLI still running after this long is hung: a failure, not a timing assumption. */
const HUNG_MS = 120_000;
const NAMES = ['c0', 'c1', 'c2', 'c3', 'c4'];

type OpKind = 'run-d' | 'run-d-rm' | 'run-rm' | 'exec' | 'stop' | 'kill' | 'rm';
const WEIGHTS: Array<[OpKind, number]> = [
  ['run-d', 3],
  ['run-d-rm', 1],
  ['run-rm', 2],
  ['exec', 2],
  ['stop', 1],
  ['kill', 1],
  ['rm', 2],
];

interface Op {
  lane: number;
  index: number;
  kind: OpKind;
  argv: string[];
  /** SIGKILL the CLI at this fraction of the kind's un-killed duration after spawn (if it still runs). */
  killAt?: number;
}

/** argv of each kind; `name` from the pool. */
function argvOf(kind: OpKind, name: string): string[] {
  switch (kind) {
    case 'run-d':
      return ['run', '-d', '--name', name, 'busybox', 'sleep', '1000'];
    case 'run-d-rm':
      return ['run', '-d', '--rm', '--name', name, 'busybox', 'sleep', '1'];
    case 'run-rm':
      return ['run', '--rm', 'busybox', 'sh', '-c', 'echo hi; sleep 1'];
    case 'exec':
      return ['exec', name, 'sh', '-c', 'echo hi'];
    case 'stop':
      return ['stop', '-t', '1', name];
    case 'kill':
      return ['kill', name];
    case 'rm':
      return ['rm', '-f', name];
  }
}

/** The whole plan, from the seed alone. */
function planOps(seed: number): Op[] {
  const random = createRandom(seed);
  const total = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
  const ops: Op[] = [];
  for (let index = 0; index < LANES * OPS_PER_LANE; index++) {
    let pick = random.nextIndex(total);
    let kind: OpKind = WEIGHTS[0]![0];
    for (const [candidate, weight] of WEIGHTS) {
      kind = candidate;
      if (pick < weight) break;
      pick -= weight;
    }
    const name = NAMES[random.nextIndex(NAMES.length)]!;
    const kill = random.nextFloat() < KILL_SHARE;
    const killAt = random.nextFloat();
    ops.push({ lane: index % LANES, index, kind, argv: argvOf(kind, name), ...(kill ? { killAt } : {}) });
  }
  return ops;
}

interface Outcome {
  op: Op;
  result: CliResult;
  killedByUs: boolean;
}

let t: TestRoot;
let layout: RootLayout;
/** How long each kind took un-killed here, in ms: a kill lands at a seeded fraction of it. */
const durationMs = new Map<OpKind, number>();

/** Runs each kind once on a container of its own (`calib`), un-killed, and times it. */
async function calibrate(): Promise<void> {
  const order: OpKind[] = ['run-d', 'exec', 'stop', 'kill', 'rm', 'run-rm', 'run-d-rm'];
  for (const kind of order) {
    const started = Date.now();
    const result = await runCli(t.root, argvOf(kind, 'calib'));
    durationMs.set(kind, Date.now() - started);
    expect(result.signal, `${context}: calibrating ${kind}: ${result.stderr}`).toBe(null);
  }
  // run -d --rm's container removes itself when its `sleep 1` ends.
  await eventually('the calibration containers to go', async () => (await psAll()).length === 0);
}
const context = `chaos seed ${SEED} (replay: ISOBENCH_CHAOS_SEED=${SEED} npx vitest run test/integration/runtime-chaos.test.ts)`;

beforeAll(async () => {
  console.log(context);
  t = await makeTestRoot('chaos');
  layout = rootLayout(t.root);
  await makeBusyboxImage(t.root, 'busybox:latest');
  ensureCliBuilt();
  await calibrate();
  console.log(`${context}: un-killed durations (ms): ${JSON.stringify(Object.fromEntries(durationMs))}`);
});

afterAll(async () => {
  if (t) await removeTestRoot(t);
});

async function runOp(op: Op): Promise<Outcome> {
  const child = spawnCli(t.root, op.argv);
  const done = finished(child);
  let killedByUs = false;
  const killer =
    op.killAt === undefined
      ? undefined
      : setTimeout(
          () => {
            killedByUs = child.kill('SIGKILL');
          },
          Math.floor(op.killAt * durationMs.get(op.kind)!),
        );
  const hung = setTimeout(() => child.kill('SIGKILL'), HUNG_MS);
  const result = await done;
  clearTimeout(killer);
  clearTimeout(hung);
  return { op, result, killedByUs: killedByUs && result.signal === 'SIGKILL' };
}

/** What a finished, not-killed CLI must never do: an internal error, a stack trace, or hang. */
function misbehaviour({ op, result, killedByUs }: Outcome): string | undefined {
  if (killedByUs) return undefined;
  const what = `op ${op.index} \`isobench ${op.argv.join(' ')}\``;
  if (result.signal !== null) return `${what}: ended by ${result.signal} (hung?)`;
  if (result.code === 70 || /internal error/i.test(result.stderr)) return `${what}: internal error: ${result.stderr}`;
  if (/\n\s+at .+:\d+:\d+/.test(result.stderr)) return `${what}: stack trace: ${result.stderr}`;
  return undefined;
}

/** Ages what a killed CLI may have left (tmp entries, container dirs without state.json) past gc's 60 s grace. */
function backdateLeftovers(): void {
  const past = new Date(Date.now() - 120_000);
  for (const entry of readdirSync(layout.tmp)) utimesSync(path.join(layout.tmp, entry), past, past);
  for (const id of existsSync(layout.containers) ? readdirSync(layout.containers) : []) {
    const dir = path.join(layout.containers, id);
    if (!existsSync(path.join(dir, 'state.json'))) utimesSync(dir, past, past);
  }
}

async function psAll(): Promise<ContainerRecord[]> {
  const result = await runCli(t.root, ['ps', '-a', '--json']);
  expect(result.code, `${context}: ps -a: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as ContainerRecord[];
}

/** Live processes of the helper binary (attached helpers, exec helpers, detached monitors). */
function helperProcesses(): number[] {
  const helper = helperBinary();
  return findProcessesByArgv((argv) => argv[0] === helper).map((p) => p.pid);
}

async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${context}: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('randomized lifecycle operations with SIGKILLs leave ps consistent and, after rm -f and gc, nothing behind', {
  timeout: 600_000,
}, async () => {
  const ops = planOps(SEED);
  const lanes = Array.from({ length: LANES }, async (_, lane) => {
    const outcomes: Outcome[] = [];
    for (const op of ops.filter((o) => o.lane === lane)) outcomes.push(await runOp(op));
    return outcomes;
  });
  const outcomes = (await Promise.all(lanes)).flat();
  onTestFailed(() => {
    const lines = outcomes
      .sort((a, b) => a.op.index - b.op.index)
      .map(({ op, result, killedByUs }) => {
        const end = killedByUs ? `SIGKILL at ${op.killAt?.toFixed(2)}` : `exit ${result.code ?? result.signal}`;
        return `  #${op.index} lane ${op.lane} ${end}: isobench ${op.argv.join(' ')}`;
      });
    console.log(`${context}: operations\n${lines.join('\n')}`);
  });
  const killed = outcomes.filter((o) => o.killedByUs).length;
  console.log(`${context}: ${outcomes.length} operations, ${killed} CLIs killed by SIGKILL`);
  expect(outcomes.map(misbehaviour).filter((m) => m !== undefined)).toEqual([]);

  // Every CLI is gone: whatever they left is for gc.
  backdateLeftovers();
  const gc = await runCli(t.root, ['gc']);
  expect(gc.code, `${context}: gc: ${gc.stdout}${gc.stderr}`).toBe(0);
  console.log(`${context}: gc after the operations:\n${gc.stdout}`);

  // ps -a agrees with /proc. A running container's monitor is checked before its workload (a
  // monitor outlives its workload), and a workload seen dead must show as stopped or gone in a
  // ps taken after that.
  const seenDead: string[] = [];
  for (const record of await psAll()) {
    const label = `${context}: ${record.name} (${record.id.slice(0, 12)}, ${record.status})`;
    expect(record.status, label).not.toBe('creating');
    const monitorAlive = isSameProcessAlive(record.monitorPid, record.monitorStartTime);
    const workloadAlive = isSameProcessAlive(record.pid, record.pidStartTime);
    if (record.status === 'stopped') expect(workloadAlive, label).toBe(false);
    if (record.status === 'running' && workloadAlive) {
      expect(record.detached && monitorAlive, `${label}: alive without its monitor or creator`).toBe(true);
    }
    if (record.status === 'running' && !workloadAlive) seenDead.push(record.id);
  }
  const after = new Map((await psAll()).map((r) => [r.id, r.status]));
  for (const id of seenDead) expect([undefined, 'stopped'], `${context}: ${id}`).toContain(after.get(id));

  // Remove everything, then nothing may be left.
  const ids = [...after.keys()];
  if (ids.length > 0) {
    const rm = await runCli(t.root, ['rm', '-f', ...ids]);
    expect(rm.code === 0 || rm.code === 3, `${context}: rm -f: ${rm.stderr}`).toBe(true);
  }
  backdateLeftovers();
  expect((await runCli(t.root, ['gc'])).code, context).toBe(0);
  expect(await psAll(), context).toEqual([]);
  await eventually('helper and monitor processes to exit', () => helperProcesses().length === 0);
  expect(readdirSync(layout.containers), context).toEqual([]);
  expect(readdirSync(layout.tmp), context).toEqual([]);
  const leaks = await removeTestRoot(t);
  expect(leaks, context).toEqual({ mounts: [], cgroups: [], pids: [] });
  expect(existsSync(t.root), `${context}: the root could not be removed`).toBe(false);
});
