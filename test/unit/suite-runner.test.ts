// The suite runner against fake targets with fixed timings: interleaving in seeded random orders,
// failures recorded and the run going on, skipped targets with their reason, cpu relative to
// native, Ctrl-C keeping what finished, the settle pause, --cold and the density budget.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildReportModel, listVmFigures } from '../../src/report/model.js';
import { readRun } from '../../src/results/read-run.js';
import { parseScenario } from '../../src/scenario/index.js';
import { planRoundOrders } from '../../src/stats/index.js';
import { createPointSeeds } from '../../src/suite/point-seeds.js';
import type { Progress } from '../../src/suite/progress.js';
import { runSuite, type SuiteOptions } from '../../src/suite/run-suite.js';
import type { Availability, Instance, Target, WorkloadSpec } from '../../src/targets/types.js';
import type { TargetKind } from '../../src/vocabulary.js';

const SCENARIO = `schemaVersion: 1
name: fake
description: fake targets
defaults:
  targets: [native, container, runc]
  warmup: 1
  iterations: 3
cases:
  - name: hello
    measure: startup
    command: [isobench-probe, ready, exit=0]
  - name: crunch
    measure: cpu
    command: [isobench-probe, compute=10, exit=0]
    targets: [native, container]
`;

/** A target whose instance is "ready" after readyMs and exits after exitMs of fake time. */
class FakeTarget implements Target {
  readonly launches: string[];
  constructor(
    readonly kind: TargetKind,
    private readonly readyMs: number,
    private readonly options: { fail?: boolean; unavailable?: string; computeNs?: number; onLaunch?: () => void },
    launches: string[],
  ) {
    this.launches = launches;
  }
  async probe(): Promise<Availability> {
    return this.options.unavailable ? { available: false, reason: this.options.unavailable } : { available: true };
  }
  async prepare(): Promise<void> {}
  async imageFootprintBytes(): Promise<number> {
    return 1;
  }
  async cleanup(): Promise<void> {}
  async launch(workload: WorkloadSpec): Promise<Instance> {
    this.launches.push(this.kind);
    this.options.onLaunch?.();
    if (this.options.fail) throw new Error(`${this.kind} cannot start`);
    const launchedAtNs = 1_000_000_000n;
    const readyNs = launchedAtNs + BigInt(this.readyMs * 1e6);
    const lines = workload.args.some((a) => a.startsWith('compute'))
      ? [`isobench-probe compute rounds=10 ns=${this.options.computeNs ?? 0} result=1`]
      : ['ISOBENCH-READY 1'];
    return {
      launchedAtNs,
      ready: Promise.resolve(readyNs),
      exited: Promise.resolve({ exitCode: 0, atNs: readyNs + 1_000_000n }),
      phases: () => ({}),
      outputLines: () => lines,
      sampleMemory: async () => ({
        pssBytes: 3 * 1024,
        ussBytes: 1024,
        rssBytes: 8 * 1024,
        pssSplit: { anonBytes: 1024, fileBytes: 1536, shmemBytes: 512 },
      }),
      writableBytes: async () => 0,
      dispose: async () => {},
    };
  }
}

const quietProgress: Progress = { start() {}, tick() {}, skip() {}, note() {}, stop() {} };

describe('runSuite with fake targets', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-suite-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(
    targets: Record<string, FakeTarget>,
    signal = new AbortController().signal,
    extra: Partial<SuiteOptions> & { scenarioText?: string } = {},
  ) {
    const { scenarioText = SCENARIO, ...options } = extra;
    return runSuite({
      runId: 'test-run',
      runDir: dir,
      scenarios: [{ scenario: parseScenario('fake.yaml', scenarioText), sha256: 'x' }],
      createTarget: (kind) => targets[kind]!,
      progress: quietProgress,
      signal,
      environment: {} as never,
      isobench: { version: '0', commit: null, dirty: null },
      overrides: {},
      seed: 7,
      ...options,
    });
  }

  it('runs one vm target per kernel of vm.kernel, each its own series, labelled apart in the report', async () => {
    const launches: string[] = [];
    const created: Array<string | undefined> = [];
    const scenario = parseScenario(
      'kernels.yaml',
      [
        'schemaVersion: 1',
        'name: kernels',
        'description: d',
        'defaults: { targets: [native, vm], warmup: 0, iterations: 2, vm: { kernel: [stock, minimal] } }',
        'cases:',
        '  - name: hello',
        '    measure: startup',
        '    command: [isobench-probe, ready, exit=0]',
      ].join('\n'),
    );
    const result = await runSuite({
      runId: 'test-run',
      runDir: dir,
      scenarios: [{ scenario, sha256: 'x' }],
      createTarget: (kind, kernel) => {
        created.push(kernel);
        const target = new FakeTarget(kind, kernel === 'minimal' ? 1 : 4, {}, launches);
        return Object.assign(target, { variant: () => kernel, accel: () => 'tcg' as const });
      },
      progress: quietProgress,
      signal: new AbortController().signal,
      environment: {} as never,
      isobench: { version: '0', commit: null, dirty: null },
      overrides: {},
    });
    expect(created).toEqual([undefined, 'stock', 'minimal']);
    expect(result.series.map((s) => [s.target, s.variant, s.metrics['startup.ready']!.samples])).toEqual([
      ['native', undefined, [4e6, 4e6]],
      ['vm', 'stock', [4e6, 4e6]],
      ['vm', 'minimal', [1e6, 1e6]],
    ]);
    const model = buildReportModel([result]);
    expect(model.groups[0]!.series.map((s) => s.targetLabel)).toEqual([
      'native',
      'vm (TCG, stock kernel)',
      'vm (TCG, minimal kernel)',
    ]);
    // The answer holds each kernel variant as a vm of its own.
    const ready = model.answer.find((row) => row.metric === 'startup.ready')!;
    expect(listVmFigures(ready.cells[0]!).map((vm) => [vm.variant, vm.median])).toEqual([
      ['stock', 4e6],
      ['minimal', 1e6],
    ]);
  });

  it('interleaves targets, records failures and skips, and derives cpu relative to native', async () => {
    const launches: string[] = [];
    const result = await run({
      native: new FakeTarget('native', 2, { computeNs: 100 }, launches),
      container: new FakeTarget('container', 3, { computeNs: 150 }, launches),
      runc: new FakeTarget('runc', 5, { fail: true }, launches),
    });
    // Each round in its own order, from the point's seed (the first draw from the run's seed 7);
    // runc, given up after 3 failures, is left out of the last round.
    const nextSeed = createPointSeeds(7);
    const helloOrders = planRoundOrders(['native', 'container', 'runc'], 4, nextSeed());
    const crunchOrders = planRoundOrders(['native', 'container'], 4, nextSeed());
    expect(launches).toEqual([
      ...helloOrders.flatMap((order, round) => order.filter((target) => !(target === 'runc' && round === 3))),
      ...crunchOrders.flat(),
    ]);
    expect(result.order).toEqual({ method: 'seeded-permutation', seed: 7 });
    const hello = result.series.filter((s) => s.case === 'hello');
    // Each iteration records its place in its round's order.
    expect(hello[0]!.iterations.map((it) => it.position)).toEqual(helloOrders.map((order) => order.indexOf('native')));
    expect(hello.map((s) => [s.target, s.status])).toEqual([
      ['native', 'ok'],
      ['container', 'ok'],
      ['runc', 'failed'],
    ]);
    const native = hello[0]!;
    expect(native.iterations.map((it) => it.warmup)).toEqual([true, false, false, false]);
    expect(native.metrics['startup.ready']!.samples).toEqual([2e6, 2e6, 2e6]);
    expect(native.metrics['startup.exit']!.samples).toEqual([3e6, 3e6, 3e6]);
    // runc gave up after 3 failures in a row, each recorded with its error.
    const runc = hello[2]!;
    expect(runc.iterations).toHaveLength(3);
    expect(runc.iterations.every((it) => !it.ok && it.error === 'runc cannot start')).toBe(true);
    expect(runc.reason).toBe('runc cannot start');
    const crunch = result.series.filter((s) => s.case === 'crunch');
    expect(crunch.find((s) => s.target === 'container')!.metrics['cpu.relative_to_native']!.samples).toEqual([
      1.5, 1.5, 1.5,
    ]);
    expect(result.status).toBe('complete');
    // What was written is what was returned, and it passes the schema.
    expect(await readRun(dir)).toEqual(JSON.parse(JSON.stringify(result)));
  });

  it('records an unavailable target as skipped with its reason', async () => {
    const launches: string[] = [];
    const result = await run({
      native: new FakeTarget('native', 1, {}, launches),
      container: new FakeTarget('container', 1, {}, launches),
      runc: new FakeTarget('runc', 1, { unavailable: 'runc is not installed: bash scripts/setup.sh' }, launches),
    });
    const runc = result.series.find((s) => s.target === 'runc')!;
    expect(runc.status).toBe('skipped');
    expect(runc.reason).toBe('runc is not installed: bash scripts/setup.sh');
    expect(launches).not.toContain('runc');
  });

  it('stops at Ctrl-C, keeps finished series and marks the run interrupted', async () => {
    const launches: string[] = [];
    const controller = new AbortController();
    let count = 0;
    const abortAfter = (n: number) => () => {
      if (++count === n) controller.abort();
    };
    const result = await run(
      {
        native: new FakeTarget('native', 1, { onLaunch: abortAfter(13) }, launches),
        container: new FakeTarget('container', 1, { onLaunch: abortAfter(13) }, launches),
        runc: new FakeTarget('runc', 1, { onLaunch: abortAfter(13) }, launches),
      },
      controller.signal,
    );
    expect(result.status).toBe('interrupted');
    // The hello point (12 launches) finished; the crunch point stopped after its first launch.
    expect(result.series.filter((s) => s.case === 'hello').every((s) => s.status === 'ok')).toBe(true);
    expect(launches).toHaveLength(13);
    expect((await readRun(dir)).status).toBe('interrupted');
  });

  it('replays the same orders from the same seed, and draws other orders from another seed', async () => {
    const orders = async (seed: number) => {
      const launches: string[] = [];
      await run(
        {
          native: new FakeTarget('native', 1, {}, launches),
          container: new FakeTarget('container', 1, {}, launches),
          runc: new FakeTarget('runc', 1, {}, launches),
        },
        undefined,
        { seed },
      );
      return launches;
    };
    const first = await orders(11);
    expect(await orders(11)).toEqual(first);
    // 4 rounds of 3! and 4 of 2! orders: another seed giving the very same 8 orders is a 1 in 20736 chance.
    expect(await orders(12)).not.toEqual(first);
  });

  it('records a random seed when none is given', async () => {
    const result = await run(
      { native: new FakeTarget('native', 1, {}, []), container: new FakeTarget('container', 1, {}, []) },
      undefined,
      { seed: undefined, targets: ['native', 'container'] },
    );
    expect(result.order?.method).toBe('seeded-permutation');
    const seed = result.order?.method === 'seeded-permutation' ? result.order.seed : -1;
    expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
  });

  it('--cold drops the page cache before every launch and records it per iteration and for the run', async () => {
    const events: string[] = [];
    const launches: string[] = [];
    const onLaunch = () => events.push('launch');
    const result = await run(
      {
        native: new FakeTarget('native', 1, { onLaunch }, launches),
        container: new FakeTarget('container', 1, { onLaunch }, launches),
        runc: new FakeTarget('runc', 1, { onLaunch }, launches),
      },
      undefined,
      { cold: true, dropPageCache: async () => void events.push('drop') },
    );
    expect(launches).toHaveLength(20);
    expect(events).toEqual(Array.from({ length: 20 }, () => ['drop', 'launch']).flat());
    expect(result.conditions?.cold).toBe(true);
    for (const series of result.series) {
      expect(series.iterations.every((it) => it.cacheDrops === 1)).toBe(true);
    }
  });

  it('records a warm run as not cold, without cache drops', async () => {
    const result = await run({
      native: new FakeTarget('native', 1, {}, []),
      container: new FakeTarget('container', 1, {}, []),
      runc: new FakeTarget('runc', 1, {}, []),
    });
    expect(result.conditions?.cold).toBe(false);
    expect(result.series.flatMap((s) => s.iterations).some((it) => it.cacheDrops !== undefined)).toBe(false);
  });

  it('pauses settleMs before every iteration of a point but its first', async () => {
    const stamps: number[] = [];
    const onLaunch = () => stamps.push(performance.now());
    const text = SCENARIO.replace('  iterations: 3\n', '  iterations: 3\n  settleMs: 40\n');
    await run(
      {
        native: new FakeTarget('native', 1, { onLaunch }, []),
        container: new FakeTarget('container', 1, { onLaunch }, []),
        runc: new FakeTarget('runc', 1, { onLaunch }, []),
      },
      undefined,
      { scenarioText: text },
    );
    // hello: 12 launches, crunch: 8; the first launch of each point comes without a pause.
    expect(stamps).toHaveLength(20);
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]!);
    const paused = gaps.filter((_, i) => i !== 11);
    // Timers may fire a little early (ms granularity), never much.
    expect(Math.min(...paused)).toBeGreaterThanOrEqual(38);
  });
});

describe('runSuite density', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-suite-density-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const DENSITY = `schemaVersion: 1
name: fake
description: fake density
defaults:
  targets: [native, container, vm]
  warmup: 0
  iterations: 2
  holdMs: 0
  baselineWaitMs: 0
cases:
  - name: density
    measure: density
    command: [isobench-probe, alloc=16, ready, idle]
    vm: { memory: 1g }
    sweep: { instances: [1, 4] }
`;

  async function runDensity(memAvailableBytes: number) {
    const launches: string[] = [];
    const targets: Record<string, FakeTarget> = {
      native: new FakeTarget('native', 1, {}, launches),
      container: new FakeTarget('container', 1, {}, launches),
      vm: new FakeTarget('vm', 1, {}, launches),
    };
    const result = await runSuite({
      runId: 'density-run',
      runDir: dir,
      scenarios: [{ scenario: parseScenario('fake.yaml', DENSITY), sha256: 'x' }],
      createTarget: (kind) => targets[kind]!,
      progress: quietProgress,
      signal: new AbortController().signal,
      environment: {} as never,
      isobench: { version: '0', commit: null, dirty: null },
      overrides: {},
      readMemAvailableBytes: async () => memAvailableBytes,
    });
    return { result, launches };
  }

  it('records host_pinned, its components, the per-instance PSS split and how the baseline was taken', async () => {
    const { result, launches } = await runDensity(64 * 1024 ** 3);
    expect(launches).toHaveLength(3 * 2 * (1 + 4));
    const container4 = result.series.find((s) => s.target === 'container' && s.point.instances === 4)!;
    expect(container4.status).toBe('ok');
    const iteration = container4.iterations[0]!;
    const components = [
      'memory.host_anon',
      'memory.host_shmem',
      'memory.host_slab_unreclaimable',
      'memory.host_kernel_stack',
      'memory.host_page_tables',
      'memory.host_percpu',
    ];
    const sum = components.reduce((total, metric) => total + iteration.values[metric]!, 0);
    expect(iteration.values['memory.host_pinned']).toBe(sum);
    // Per instance: the fake's split, memory.instance = anon + shmem; MemAvailable/N is gone.
    expect(iteration.values['memory.instance']).toBe(1536);
    expect(iteration.values['memory.pss_file']).toBe(1536);
    expect(iteration.values).not.toHaveProperty('memory.per_instance');
    expect(iteration.density).toMatchObject({
      instances: 4,
      baseline: { settled: false, readings: 1, toleranceBytes: 512 * 1024, lastChangeBytes: 0 },
    });
    // The components recorded add up to the metric, less the harness's own change.
    const { baseline, loaded, harnessChange } = iteration.density!;
    expect(iteration.values['memory.host_anon']).toBe(
      loaded.anonPagesBytes - baseline.components.anonPagesBytes - harnessChange.anonBytes,
    );
    expect(iteration.values['memory.host_slab_unreclaimable']).toBe(
      loaded.sUnreclaimBytes - baseline.components.sUnreclaimBytes,
    );
    expect(await readRun(dir)).toEqual(JSON.parse(JSON.stringify(result)));
  });

  it('skips the points over the memory budget with the rule in the reason, per target', async () => {
    // 2 GiB available: budget 1 GiB. native/container: 16 + 64 MiB each, 4 x 80 = 320 MiB fits;
    // vm: 1024 + 64 MiB each does not fit even once.
    const { result } = await runDensity(2 * 1024 ** 3);
    expect(result.series.map((s) => [s.target, s.point.instances, s.status])).toEqual([
      ['native', 1, 'ok'],
      ['container', 1, 'ok'],
      ['vm', 1, 'skipped'],
      ['native', 4, 'ok'],
      ['container', 4, 'ok'],
      ['vm', 4, 'skipped'],
    ]);
    expect(result.series[2]!.reason).toBe(
      'over the memory budget: 1 instance x 1088 MiB = 1088 MiB > 50 % of MemAvailable (2048 MiB)',
    );
  });
});
