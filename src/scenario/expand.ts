// Expands a case's sweep into its points (cartesian product, deterministic order), each with the
// command, limits, VM settings and the targets that run at that point.

import type { ResourceLimits } from '../container/types.js';
import { formatSize } from '../util/parse-size.js';
import type { TargetKind } from '../vocabulary.js';
import type { CaseSweep, ScenarioCase, VmKernel, VmSettings } from './schema.js';

/** One point of a sweep; a key is present only when the case sweeps it. */
export interface SweepPoint {
  instances?: number;
  /** Memory per instance in bytes. */
  memoryBytes?: number;
  /** CPUs per instance (cgroup quota in cores; vCPUs for vm). */
  cpus?: number;
  param?: string;
}

/** One target's share of a point. */
export interface TargetRun {
  target: TargetKind;
  warmup: number;
  iterations: number;
  timeoutSeconds: number;
  /** vm: the guest kernel when the scenario names one; absent means the stock kernel. */
  kernel?: VmKernel;
}

/** Everything needed to run one case at one sweep point. */
export interface CasePoint {
  caseName: string;
  /** Stable label in sweep-key order, e.g. "instances=4,memory=128m"; "" without a sweep. */
  label: string;
  point: SweepPoint;
  /** Instances started side by side (point.instances, else 1). */
  instances: number;
  /** The case's command with `{param}` substituted. */
  command: string[];
  /** The case's limits with the point's memory and cpus applied (containers and peers). */
  limits: ResourceLimits;
  /** The case's VM settings with the point's memory and cpus applied. */
  vm: VmSettings;
  /** Targets whose sweep includes this point, in the case's target order. Never empty. */
  runs: TargetRun[];
}

type SweepEntry = {
  [K in keyof SweepPoint]-?: { key: K; values: Array<NonNullable<SweepPoint[K]>> };
}[keyof SweepPoint];

/** Swept keys in nesting order (first = outermost), values in file order. */
function sweepEntries(sweep: CaseSweep): SweepEntry[] {
  const entries: SweepEntry[] = [];
  if (sweep.instances) entries.push({ key: 'instances', values: sweep.instances });
  if (sweep.memoryBytes) entries.push({ key: 'memoryBytes', values: sweep.memoryBytes });
  if (sweep.cpus) entries.push({ key: 'cpus', values: sweep.cpus });
  if (sweep.param) entries.push({ key: 'param', values: sweep.param });
  return entries;
}

/** Cartesian product of the sweep, outermost key first; no sweep gives one empty point. */
export function expandSweep(sweep: CaseSweep): SweepPoint[] {
  let points: SweepPoint[] = [{}];
  for (const entry of sweepEntries(sweep)) {
    points = points.flatMap((point) => entry.values.map((value) => ({ ...point, [entry.key]: value })));
  }
  return points;
}

/** Label of a point in sweep-key order, sizes in binary units: "instances=4,memory=128m". */
export function formatPointLabel(point: SweepPoint): string {
  const parts: string[] = [];
  if (point.instances !== undefined) parts.push(`instances=${point.instances}`);
  if (point.memoryBytes !== undefined) parts.push(`memory=${formatSize(point.memoryBytes)}`);
  if (point.cpus !== undefined) parts.push(`cpus=${point.cpus}`);
  if (point.param !== undefined) parts.push(`param=${point.param}`);
  return parts.join(',');
}

function includesPoint(sweep: CaseSweep, point: SweepPoint): boolean {
  return sweepEntries(sweep).every((entry) => (entry.values as unknown[]).includes(point[entry.key]));
}

/**
 * Expands a resolved case into its sweep points, in deterministic order (cartesian product,
 * keys nested instances > memory > cpus > param, values in file order). Points that no target
 * runs (every target narrowed them away in perTarget) are left out.
 */
export function expandCase(caseSpec: ScenarioCase): CasePoint[] {
  const result: CasePoint[] = [];
  for (const point of expandSweep(caseSpec.sweep)) {
    const runs = caseSpec.plans
      .filter((plan) => includesPoint(plan.sweep, point))
      .map(({ target, warmup, iterations, timeoutSeconds, kernel }) => ({
        target,
        warmup,
        iterations,
        timeoutSeconds,
        ...(kernel === undefined ? {} : { kernel }),
      }));
    if (runs.length === 0) continue;
    const limits: ResourceLimits = { ...caseSpec.limits };
    const vm: VmSettings = { ...caseSpec.vm };
    if (point.memoryBytes !== undefined) {
      limits.memoryBytes = point.memoryBytes;
      vm.memoryBytes = point.memoryBytes;
    }
    if (point.cpus !== undefined) {
      limits.cpus = point.cpus;
      vm.cpus = point.cpus;
    }
    const param = point.param;
    result.push({
      caseName: caseSpec.name,
      label: formatPointLabel(point),
      point,
      instances: point.instances ?? 1,
      command:
        param === undefined ? [...caseSpec.command] : caseSpec.command.map((arg) => arg.replaceAll('{param}', param)),
      limits,
      vm,
      runs,
    });
  }
  return result;
}
