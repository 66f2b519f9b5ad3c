// One real end-to-end run of a tiny scenario on native, container and vm (TCG here): the runner,
// the real targets, the probe image built from its recipe, run.json and the report.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootLayout } from '../../src/paths.js';
import { writeReport } from '../../src/report/write-report.js';
import { readRun } from '../../src/results/read-run.js';
import { loadScenario } from '../../src/scenario/index.js';
import type { Progress } from '../../src/suite/progress.js';
import { runSuite } from '../../src/suite/run-suite.js';
import { createTarget } from '../../src/targets/index.js';
import { requireHost } from '../support/host.js';

await requireHost('root', 'qemu');

const TINY = `schemaVersion: 1
name: tiny
description: end-to-end smoke run
defaults:
  targets: [native, container, vm]
  warmup: 0
  iterations: 2
  vm: { memory: 256m, cpus: 1, machine: microvm }
cases:
  - name: hello
    measure: startup
    command: [isobench-probe, ready, exit=0]
  - name: idle
    measure: memory
    command: [isobench-probe, alloc=8, ready, idle]
    holdMs: 200
    iterations: 1
    targets: [native, container]
`;

const quiet: Progress = { start() {}, tick() {}, skip() {}, note() {}, stop() {} };

describe('suite end to end (native, container, vm)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-e2e-'));
    await writeFile(path.join(dir, 'tiny.yaml'), TINY);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every target, records raw samples and writes a report', async () => {
    const layout = rootLayout(path.join(dir, 'root'));
    const runDir = path.join(dir, 'run');
    const run = await runSuite({
      runId: 'e2e',
      runDir,
      scenarios: [{ scenario: await loadScenario(path.join(dir, 'tiny.yaml')), sha256: 'e2e' }],
      createTarget: (kind) => createTarget(kind, layout),
      progress: quiet,
      signal: new AbortController().signal,
      environment: {} as never,
      isobench: { version: 'test', commit: null, dirty: null },
      overrides: {},
    });
    const hello = run.series.filter((s) => s.case === 'hello');
    expect(hello.map((s) => `${s.target}:${s.status}:${s.reason ?? ''}`)).toEqual([
      'native:ok:',
      'container:ok:',
      'vm:ok:',
    ]);
    for (const series of hello) {
      const exit = series.metrics['startup.exit']!;
      expect(exit.samples).toHaveLength(2);
      expect(Math.min(...exit.samples)).toBeGreaterThan(0);
      // Ready comes before exit in every iteration.
      for (const it of series.iterations)
        expect(it.values['startup.ready']!).toBeLessThanOrEqual(it.values['startup.exit']!);
    }
    const vm = hello.find((s) => s.target === 'vm')!;
    expect(vm.accel === 'tcg' || vm.accel === 'kvm').toBe(true);
    const idle = run.series.filter((s) => s.case === 'idle');
    for (const series of idle) {
      expect(series.status).toBe('ok');
      // The probe allocated and touched 8 MiB: the instance's PSS holds at least that.
      expect(series.metrics['memory.pss']!.samples[0]!).toBeGreaterThan(8 * 1048576);
    }
    expect(idle.find((s) => s.target === 'container')!.metrics['memory.cgroup']!.samples[0]!).toBeGreaterThan(
      8 * 1048576,
    );
    expect((await readRun(runDir)).series).toHaveLength(run.series.length);

    const report = await writeReport([run], path.join(runDir, 'report'));
    expect(report.files.some((f) => f.endsWith('report.md'))).toBe(true);
    const markdown = await readFile(path.join(runDir, 'report', 'report.md'), 'utf8');
    expect(markdown).toMatch(/TCG|KVM/);
    expect(existsSync(path.join(runDir, 'report', 'summary.csv'))).toBe(true);
  }, 600_000);
});
