// The suite runner against fake targets with fixed timings: interleaving, failures recorded and
// the run going on, skipped targets with their reason, cpu relative to native, and Ctrl-C
// keeping what finished.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildReportModel } from '../../src/report/model.js';
import { readRun } from '../../src/results/read-run.js';
import { parseScenario } from '../../src/scenario/index.js';
import type { Progress } from '../../src/suite/progress.js';
import { runSuite } from '../../src/suite/run-suite.js';
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
      sampleMemory: async () => ({ pssBytes: 1, ussBytes: 1, rssBytes: 1 }),
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

  async function run(targets: Record<string, FakeTarget>, signal = new AbortController().signal) {
    return runSuite({
      runId: 'test-run',
      runDir: dir,
      scenarios: [{ scenario: parseScenario('fake.yaml', SCENARIO), sha256: 'x' }],
      createTarget: (kind) => targets[kind]!,
      progress: quietProgress,
      signal,
      environment: {} as never,
      isobench: { version: '0', commit: null, dirty: null },
      overrides: {},
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
      'vm, stock kernel (TCG)',
      'vm, minimal kernel (TCG)',
    ]);
    // The answer keeps one vm per cell: the stock kernel's.
    const ready = model.answer.find((row) => row.metric === 'startup.ready')!;
    expect(ready.cells[0]!.medians.vm!.median).toBe(4e6);
  });

  it('interleaves targets, records failures and skips, and derives cpu relative to native', async () => {
    const launches: string[] = [];
    const result = await run({
      native: new FakeTarget('native', 2, { computeNs: 100 }, launches),
      container: new FakeTarget('container', 3, { computeNs: 150 }, launches),
      runc: new FakeTarget('runc', 5, { fail: true }, launches),
    });
    // Round r starts with target r mod n: native, container, runc | container, runc, native | ...
    expect(launches.slice(0, 6)).toEqual(['native', 'container', 'runc', 'container', 'runc', 'native']);
    const hello = result.series.filter((s) => s.case === 'hello');
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
});
