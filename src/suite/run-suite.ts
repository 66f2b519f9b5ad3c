// The suite runner: for every scenario case and sweep point, runs the targets' iterations
// interleaved (each round in a fresh random order drawn from the run's recorded seed, so every
// target follows every other about equally often and drift does not favour one side), records
// every iteration (failed ones with their error), and rewrites run.json after every point so an
// interrupted run keeps what it finished.
import { randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { IsobenchError } from '../errors.js';
import type { EnvironmentFingerprint } from '../host/fingerprint-schema.js';
import { dropPageCache } from '../host/page-cache.js';
import { readHostMemoryState, readMemInfo } from '../measure/host-memory.js';
import { type CasePoint, expandCase, type Scenario, type ScenarioCase, type VmKernel } from '../scenario/index.js';
import { planRoundOrders } from '../stats/index.js';
import type { Availability, Target, WorkloadSpec } from '../targets/types.js';
import type { TargetKind } from '../vocabulary.js';
import { withColdLaunches } from './cold-target.js';
import { overDensityBudget } from './density-budget.js';
import { MEASURES } from './measures/index.js';
import { createPointSeeds } from './point-seeds.js';
import type { Progress } from './progress.js';
import { type Iteration, RESULT_SCHEMA_VERSION, type RunResult, type Series } from './run-schema.js';
import { writeRun } from './run-store.js';
import { deriveRelativeToNative, okCount, summarizeSeries } from './series.js';
import { pause } from './timeouts.js';

/** A target that fails this many times in a row without one success is given up for the point. */
const MAX_CONSECUTIVE_FAILURES = 3;

export interface SuiteScenario {
  scenario: Scenario;
  /** sha256 of the scenario file as read. */
  sha256: string;
}

export interface SuiteOptions {
  runId: string;
  runDir: string;
  scenarios: SuiteScenario[];
  /** Only these targets (others are left out of the run, not recorded as skipped). */
  targets?: TargetKind[];
  /** Overrides every plan's recorded iterations. */
  iterations?: number;
  /** A fresh target of `kind`; for vm, booting `kernel` when given (else the stock kernel). */
  createTarget: (kind: TargetKind, kernel?: VmKernel) => Target;
  progress: Progress;
  signal: AbortSignal;
  environment: EnvironmentFingerprint;
  isobench: RunResult['isobench'];
  overrides: Record<string, unknown>;
  /** Seed of the round orders, an integer in [0, 2^32); default a random one. Recorded in run.json either way. */
  seed?: number;
  /** Drop the host's page cache before each launch (--cold). */
  cold?: boolean;
  /** How the page cache is dropped; default host/page-cache.ts dropPageCache (tests inject a fake). */
  dropPageCache?: () => Promise<void>;
  /** MemAvailable in bytes, for the density budget; default read from /proc/meminfo (tests inject one). */
  readMemAvailableBytes?: () => Promise<number>;
}

interface TargetSlot {
  target: Target;
  availability: Availability;
  /** image ref -> prepare() outcome (undefined: ok). */
  prepared: Map<string, Error | undefined>;
}

/** Runs every scenario and returns the finished (or interrupted) run, also written to runDir. */
export async function runSuite(options: SuiteOptions): Promise<RunResult> {
  const seed = options.seed ?? randomInt(0, 2 ** 32);
  const run: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    runId: options.runId,
    status: 'running',
    startedAt: new Date().toISOString(),
    isobench: options.isobench,
    environment: options.environment as unknown as Record<string, unknown>,
    scenarios: options.scenarios.map(({ scenario, sha256 }) => ({
      name: scenario.name,
      file: scenario.file,
      sha256,
      definition: scenario,
    })),
    overrides: options.overrides,
    order: { method: 'seeded-permutation', seed },
    conditions: { cold: options.cold === true, hostMemory: await readHostMemoryState() },
    series: [],
  };
  await mkdir(options.runDir, { recursive: true });
  await writeRun(options.runDir, run);
  const slots = new Map<string, TargetSlot>();
  const plan = planPoints(options);
  const nextPointSeed = createPointSeeds(seed);
  options.progress.start(plan.reduce((sum, p) => sum + p.runs.reduce((s, r) => s + r.warmup + r.iterations, 0), 0));
  try {
    for (const item of plan) {
      if (options.signal.aborted) break;
      const series = await runPoint(item, slots, options, nextPointSeed());
      run.series.push(...series);
      await writeRun(options.runDir, run);
    }
  } finally {
    options.progress.stop();
    await Promise.allSettled([...slots.values()].map((slot) => slot.target.cleanup()));
  }
  run.status = options.signal.aborted ? 'interrupted' : 'complete';
  run.finishedAt = new Date().toISOString();
  await writeRun(options.runDir, run);
  return run;
}

interface PlannedPoint {
  scenario: Scenario;
  scenarioCase: ScenarioCase;
  point: CasePoint;
  runs: CasePoint['runs'];
  caseStartedAt: { ms?: number };
}

function planPoints(options: SuiteOptions): PlannedPoint[] {
  const plan: PlannedPoint[] = [];
  for (const { scenario } of options.scenarios) {
    for (const scenarioCase of scenario.cases) {
      const caseStartedAt = {};
      for (const point of expandCase(scenarioCase)) {
        const runs = point.runs
          .filter((r) => !options.targets || options.targets.includes(r.target))
          .map((r) => (options.iterations === undefined ? r : { ...r, iterations: options.iterations }));
        if (runs.length > 0) plan.push({ scenario, scenarioCase, point, runs, caseStartedAt });
      }
    }
  }
  return plan;
}

/** "vm" or "vm, minimal kernel": the slot key and the name in progress lines. */
function runName(run: CasePoint['runs'][number]): string {
  return run.kernel === undefined ? run.target : `${run.target}, ${run.kernel} kernel`;
}

/** One target per kind and kernel, shared by every point of the run. */
async function slotFor(run: CasePoint['runs'][number], slots: Map<string, TargetSlot>, options: SuiteOptions) {
  const kind = run.target;
  let slot = slots.get(runName(run));
  if (!slot) {
    const target = options.createTarget(kind, run.kernel);
    const availability = await target
      .probe()
      .catch((error: unknown): Availability => ({ available: false, reason: messageOf(error) }));
    slot = { target, availability, prepared: new Map() };
    slots.set(runName(run), slot);
    if (!availability.available) options.progress.note(`isobench: ${runName(run)} skipped: ${availability.reason}`);
    else if (availability.detail) options.progress.note(`isobench: ${runName(run)}: ${availability.detail}`);
  }
  return slot;
}

function workloadOf(scenarioCase: ScenarioCase, point: CasePoint): WorkloadSpec {
  return {
    image: scenarioCase.image,
    args: point.command,
    env: scenarioCase.env,
    network: scenarioCase.network,
    readyMarker: scenarioCase.readyMarker,
    limits: point.limits,
    vm: point.vm,
  };
}

function newSeries(item: PlannedPoint, target: TargetKind): Series {
  const point: Record<string, number | string> = {};
  for (const [key, value] of Object.entries(item.point.point)) if (value !== undefined) point[key] = value;
  return {
    scenario: item.scenario.name,
    case: item.scenarioCase.name,
    measure: item.scenarioCase.measure,
    point,
    target,
    status: 'ok',
    iterations: [],
    metrics: {},
  };
}

async function runPoint(
  item: PlannedPoint,
  slots: Map<string, TargetSlot>,
  options: SuiteOptions,
  pointSeed: number,
): Promise<Series[]> {
  const { scenarioCase, point } = item;
  const workload = workloadOf(scenarioCase, point);
  const active: Array<{ run: CasePoint['runs'][number]; slot: TargetSlot; series: Series; failuresInRow: number }> = [];
  const all: Series[] = [];
  const memAvailableBytes =
    scenarioCase.measure === 'density'
      ? await (options.readMemAvailableBytes ?? (async () => (await readMemInfo()).memAvailableBytes))()
      : undefined;
  for (const run of item.runs) {
    const series = newSeries(item, run.target);
    all.push(series);
    const slot = await slotFor(run, slots, options);
    if (!slot.availability.available) {
      series.status = 'skipped';
      series.reason = slot.availability.reason;
      options.progress.skip(run.warmup + run.iterations);
      continue;
    }
    const overBudget =
      memAvailableBytes === undefined ? undefined : overDensityBudget(run.target, point, memAvailableBytes);
    if (overBudget !== undefined) {
      series.status = 'skipped';
      series.reason = overBudget;
      options.progress.note(
        `isobench: ${item.scenario.name}/${scenarioCase.name}[${point.label}] ${run.target}: ${overBudget}`,
      );
      options.progress.skip(run.warmup + run.iterations);
      continue;
    }
    const prepareError = await prepareOnce(slot, workload, options);
    if (prepareError) {
      series.status = 'failed';
      series.reason = `prepare failed: ${messageOf(prepareError)}`;
      options.progress.note(`isobench: ${runName(run)}: ${series.reason}`);
      options.progress.skip(run.warmup + run.iterations);
      continue;
    }
    active.push({ run, slot, series, failuresInRow: 0 });
  }
  item.caseStartedAt.ms ??= Date.now();
  const rounds = Math.max(0, ...active.map((a) => a.run.warmup + a.run.iterations));
  const orders = active.length === 0 ? [] : planRoundOrders(active, rounds, pointSeed);
  const drop = options.dropPageCache ?? (() => dropPageCache());
  let budgetCut = false;
  let iterationsRun = 0;
  for (let round = 0; round < rounds && !options.signal.aborted; round++) {
    if (
      scenarioCase.budgetSeconds !== undefined &&
      Date.now() - item.caseStartedAt.ms > scenarioCase.budgetSeconds * 1000
    ) {
      budgetCut = true;
      options.progress.note(
        `isobench: ${item.scenario.name}/${scenarioCase.name}: budget of ${scenarioCase.budgetSeconds} s used up; keeping what finished`,
      );
      break;
    }
    for (const [position, entry] of orders[round]!.entries()) {
      if (options.signal.aborted) break;
      const { run, slot, series } = entry;
      if (round >= run.warmup + run.iterations || entry.failuresInRow >= MAX_CONSECUTIVE_FAILURES) continue;
      const warmup = round < run.warmup;
      const label = `${item.scenario.name}/${scenarioCase.name}${point.label ? `[${point.label}]` : ''} ${runName(run)}${warmup ? ' (warmup)' : ` #${round - run.warmup + 1}`}`;
      // The settle pause: after-effects of the previous instance (freeing, writeback) fade first.
      if (iterationsRun++ > 0 && scenarioCase.settleMs > 0) await pause(scenarioCase.settleMs, options.signal);
      if (options.signal.aborted) break;
      const cold = options.cold ? withColdLaunches(slot.target, drop) : undefined;
      const extras = (): Partial<Iteration> => ({ position, ...(cold ? { cacheDrops: cold.drops() } : {}) });
      try {
        const outcome = await MEASURES[scenarioCase.measure]({
          target: cold?.target ?? slot.target,
          workload,
          scenarioCase,
          point,
          timeoutMs: run.timeoutSeconds * 1000,
          signal: options.signal,
        });
        series.iterations.push({ index: round, warmup, ok: true, ...outcome, ...extras() });
        entry.failuresInRow = 0;
        options.progress.tick({ label, ok: true, detail: headline(outcome.values) });
      } catch (error) {
        if (options.signal.aborted) break;
        if (isBadInput(error)) throw error;
        series.iterations.push({ index: round, warmup, ok: false, error: messageOf(error), values: {}, ...extras() });
        entry.failuresInRow++;
        options.progress.tick({ label, ok: false, detail: messageOf(error) });
        if (entry.failuresInRow >= MAX_CONSECUTIVE_FAILURES && okCount(series.iterations) === 0) {
          options.progress.note(
            `isobench: ${runName(run)}: ${MAX_CONSECUTIVE_FAILURES} failures in a row; giving up on this point`,
          );
        }
      }
    }
  }
  for (const { run, slot, series } of active) {
    const accel = slot.target.accel?.();
    if (accel) series.accel = accel;
    if (run.target === 'vm') series.machine = workload.vm.machine;
    const variant = slot.target.variant?.();
    if (variant) series.variant = variant;
    summarizeSeries(series);
    const ok = okCount(series.iterations);
    const failed = series.iterations.filter((it) => !it.ok);
    if (ok === 0) {
      series.status = 'failed';
      series.reason = failed[0]?.error ?? (options.signal.aborted ? 'interrupted' : 'no iteration ran');
    } else if (ok < run.iterations || budgetCut || failed.length > 0) {
      series.status = 'partial';
      series.reason = `${ok} of ${run.iterations} iterations recorded${failed.length > 0 ? `; ${failed.length} failed (first: ${failed[0]?.error})` : ''}`;
    }
  }
  deriveRelativeToNative(all);
  return all;
}

async function prepareOnce(
  slot: TargetSlot,
  workload: WorkloadSpec,
  options: SuiteOptions,
): Promise<Error | undefined> {
  if (!slot.prepared.has(workload.image)) {
    try {
      await slot.target.prepare(workload);
      slot.prepared.set(workload.image, undefined);
    } catch (error) {
      if (isBadInput(error) || options.signal.aborted) throw error;
      slot.prepared.set(workload.image, error instanceof Error ? error : new Error(String(error)));
    }
  }
  return slot.prepared.get(workload.image);
}

/** Bad input stops the run; everything else is recorded against the iteration. */
function isBadInput(error: unknown): boolean {
  return (
    error instanceof IsobenchError && (error.code === 'INPUT' || error.code === 'SCENARIO' || error.code === 'RECIPE')
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function headline(values: Record<string, number>): string {
  const [metric, value] = Object.entries(values)[0] ?? [];
  if (metric === undefined || value === undefined) return '';
  if (metric.startsWith('startup.') || metric === 'cpu.time') return `${metric} ${(value / 1e6).toFixed(1)} ms`;
  if (metric.startsWith('io.') || metric === 'workload.throughput') return `${metric} ${(value / 1e6).toFixed(1)} MB/s`;
  if (metric === 'workload.requests_per_s') return `${metric} ${Math.round(value)}/s`;
  return `${metric} ${(value / 1048576).toFixed(1)} MiB`;
}
