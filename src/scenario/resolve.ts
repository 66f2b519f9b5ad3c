// Turns a schema-valid scenario file into the resolved Scenario: defaults applied per case, sizes in
// bytes, per-target plans, and the checks zod cannot express (unique names, sweep/command agreement).
import path from 'node:path';
import type { ResourceLimits } from '../container/types.js';
import { ScenarioError } from '../errors.js';
import { formatSize, parseSize } from '../util/parse-size.js';
import { METRIC_NAMES, METRICS, type MetricName, type TargetKind } from '../vocabulary.js';
import { describeValue } from './format-issue.js';
import { checkProbeCommand, probeReadyMarker } from './probe-steps.js';
import {
  BUILTIN_DEFAULTS,
  type CaseFile,
  type CaseSweep,
  type Scenario,
  type ScenarioCase,
  type ScenarioFile,
  type SweepFile,
  type TargetPlan,
  type Thresholds,
  type VmKernel,
  type VmSettings,
} from './schema.js';
import { resolveNetwork, resolveWorkload } from './workload.js';
import type { YamlSource } from './yaml-source.js';

const MIB = 1024 * 1024;
/** Smallest cgroup memory limit we accept: below it the probe itself cannot start. */
const MIN_LIMIT_BYTES = 4 * MIB;
/** VM memory bounds in bytes (same as vm-images/ definitions: 64 MiB to 64 GiB). */
const MIN_VM_BYTES = 64 * MIB;
const MAX_VM_BYTES = 64 * 1024 * MIB;
/** Sweep points per case: the cartesian product must stay runnable. */
export const MAX_SWEEP_POINTS = 256;

/** Resolves a schema-valid file; throws ScenarioError at the offending line. */
export function resolveScenario(source: YamlSource, file: ScenarioFile): Scenario {
  const fail = (at: Path, message: string, hint = 'see scenarios/README.md for the format'): never => {
    throw new ScenarioError(source.file, source.lineOf(at), message, { hint });
  };
  const expectedName = path.basename(source.file).replace(/\.ya?ml$/, '');
  if (file.name !== expectedName) {
    fail(['name'], `expected name to match the file name "${expectedName}"; got "${file.name}"`);
  }
  const firstLineOfCase = new Map<string, number>();
  const cases = file.cases.map((raw, index) => {
    const line = source.lineOf(['cases', index]);
    const first = firstLineOfCase.get(raw.name);
    if (first !== undefined) {
      fail(
        ['cases', index, 'name'],
        `duplicate case name "${raw.name}": expected unique case names (first on line ${first})`,
      );
    }
    firstLineOfCase.set(raw.name, line);
    return resolveCase(raw, file, ['cases', index], line, fail);
  });
  return {
    schemaVersion: 1,
    name: file.name,
    description: file.description,
    file: source.file,
    cases,
    thresholds: resolveThresholds(file, cases, fail),
  };
}

export type Path = Array<string | number>;
export type Fail = (at: Path, message: string, hint?: string) => never;

function resolveCase(raw: CaseFile, file: ScenarioFile, at: Path, line: number, fail: Fail): ScenarioCase {
  const defaults = file.defaults ?? {};
  const targets = [...(raw.targets ?? defaults.targets ?? BUILTIN_DEFAULTS.targets)];
  const targetsAt: Path = raw.targets ? [...at, 'targets'] : ['defaults', 'targets'];
  targets.forEach((target, index) => {
    if (targets.indexOf(target) !== index) fail([...targetsAt, index], `duplicate target "${target}" in targets`);
  });
  const sweep = resolveSweep(raw.sweep ?? {}, [...at, 'sweep'], targets.includes('vm'), fail);
  const command = [...raw.command];
  checkParamUse(command, sweep, at, fail);
  checkProbeCommand(command, sweep.param ?? [''], (index, message) => fail([...at, 'command', index], message));
  const readyMarker = raw.ready ?? probeReadyMarker(command);
  checkReady(raw, command, readyMarker, at, fail);
  const vmAt: Path = raw.vm ? [...at, 'vm'] : ['defaults', 'vm'];
  const vm = resolveVm({ ...BUILTIN_DEFAULTS.vm, ...defaults.vm, ...raw.vm }, vmAt, fail);
  if (sweep.cpus && targets.includes('vm')) {
    sweep.cpus.forEach((cpus, index) => {
      if (!Number.isInteger(cpus))
        fail([...at, 'sweep', 'cpus', index], `expected cpus to be a whole number when vm runs (vCPUs); got ${cpus}`);
    });
  }
  const network = resolveNetwork(raw, defaults, targets, at, fail);
  const workload = resolveWorkload(raw, network, at, fail);
  const kernels = resolveKernels(raw.vm?.kernel ?? defaults.vm?.kernel, vmAt, fail);
  const plans = targets.flatMap((target) => {
    const plan = resolvePlan(target, raw, file, sweep, at, fail);
    return target === 'vm' && kernels ? kernels.map((kernel) => ({ ...plan, kernel })) : [plan];
  });
  for (const target of Object.keys(raw.perTarget ?? {}) as TargetKind[]) {
    if (!targets.includes(target)) {
      fail(
        [...at, 'perTarget', target],
        `perTarget.${target}: expected one of this case's targets (${targets.join(', ')})`,
      );
    }
  }
  return {
    name: raw.name,
    ...(raw.description === undefined ? {} : { description: raw.description }),
    measure: raw.measure,
    command,
    ...(readyMarker === undefined ? {} : { readyMarker }),
    env: resolveEnv(raw.env ?? {}, [...at, 'env'], fail),
    limits: resolveLimits(raw.limits ?? {}, [...at, 'limits'], fail),
    vm,
    image: raw.image ?? defaults.image ?? BUILTIN_DEFAULTS.image,
    targets,
    plans,
    sweep,
    network,
    ...(workload === undefined ? {} : { workload }),
    ...optionalBudget(raw.budgetSeconds ?? defaults.budgetSeconds),
    sampleIntervalMs: raw.sampleIntervalMs ?? defaults.sampleIntervalMs ?? BUILTIN_DEFAULTS.sampleIntervalMs,
    holdMs: raw.holdMs ?? defaults.holdMs ?? BUILTIN_DEFAULTS.holdMs,
    settleMs: raw.settleMs ?? defaults.settleMs ?? BUILTIN_DEFAULTS.settleMs,
    baselineToleranceBytes: toBytes(
      raw.baselineTolerance ?? defaults.baselineTolerance ?? BUILTIN_DEFAULTS.baselineTolerance,
      raw.baselineTolerance !== undefined ? [...at, 'baselineTolerance'] : ['defaults', 'baselineTolerance'],
      fail,
      'baselineTolerance',
    ),
    baselineWaitMs: raw.baselineWaitMs ?? defaults.baselineWaitMs ?? BUILTIN_DEFAULTS.baselineWaitMs,
    line,
  };
}

function optionalBudget(budgetSeconds: number | undefined): { budgetSeconds?: number } {
  return budgetSeconds === undefined ? {} : { budgetSeconds };
}

/** Converts schema-checked size text; the only failure left is a value past 2^53 bytes. */
function toBytes(text: string, at: Path, fail: Fail, field = 'memory'): number {
  try {
    return parseSize(text);
  } catch {
    return fail(at, `expected ${field} to be at most 8191t; got "${text}"`);
  }
}

function resolveSweep(raw: SweepFile, at: Path, vmRuns: boolean, fail: Fail): CaseSweep {
  const sweep: CaseSweep = {};
  const unique = <T>(values: T[], key: string): T[] => {
    values.forEach((value, index) => {
      if (values.indexOf(value) !== index)
        fail([...at, key, index], `duplicate ${key} value ${describeValue(value)} in sweep`);
    });
    return values;
  };
  if (raw.instances) sweep.instances = unique([...raw.instances], 'instances');
  if (raw.memory) {
    const bytes = raw.memory.map((text, index) => toBytes(text, [...at, 'memory', index], fail));
    bytes.forEach((value, index) => {
      const valueAt = [...at, 'memory', index];
      if (value < MIN_LIMIT_BYTES) fail(valueAt, `expected memory to be at least 4m; got "${raw.memory![index]}"`);
      if (vmRuns && (value % MIB !== 0 || value < MIN_VM_BYTES || value > MAX_VM_BYTES)) {
        fail(valueAt, `expected memory to be whole MiB from 64m to 64g when vm runs; got "${raw.memory![index]}"`);
      }
    });
    sweep.memoryBytes = unique(bytes, 'memory');
  }
  if (raw.cpus) sweep.cpus = unique([...raw.cpus], 'cpus');
  if (raw.param) sweep.param = unique(raw.param.map(String), 'param');
  const points = [sweep.instances, sweep.memoryBytes, sweep.cpus, sweep.param].reduce(
    (product, values) => product * (values?.length ?? 1),
    1,
  );
  if (points > MAX_SWEEP_POINTS) fail(at, `expected sweep to have at most ${MAX_SWEEP_POINTS} points; got ${points}`);
  return sweep;
}

/** `{param}` and sweep.param come together: one without the other is a mistake. */
function checkParamUse(command: string[], sweep: CaseSweep, at: Path, fail: Fail): void {
  const uses = command.some((arg) => arg.includes('{param}'));
  if (sweep.param && !uses) {
    fail(
      [...at, 'sweep', 'param'],
      'sweep.param is set but the command has no {param}: expected {param} in an argument',
    );
  }
  if (!sweep.param && uses) {
    fail(
      [...at, 'command'],
      'the command uses {param} but the case has no sweep.param: expected a sweep: { param: [...] }',
    );
  }
}

function checkReady(raw: CaseFile, command: string[], marker: string | undefined, at: Path, fail: Fail): void {
  if ((raw.measure === 'memory' || raw.measure === 'density') && marker === undefined) {
    fail(
      [...at, 'command'],
      `a ${raw.measure} case samples after ready: expected a ready step in the command or a ready: marker`,
    );
  }
  const printed = probeReadyMarker(command);
  if (raw.ready !== undefined && printed !== undefined && !printed.startsWith(raw.ready)) {
    fail(
      [...at, 'ready'],
      `expected ready to be a prefix of the marker the probe prints ("${printed}"); got "${raw.ready}"`,
    );
  }
}

/** vm.kernel as a list without repeats; undefined when the scenario does not name a kernel. */
function resolveKernels(raw: VmKernel | VmKernel[] | undefined, at: Path, fail: Fail): VmKernel[] | undefined {
  if (raw === undefined) return undefined;
  const kernels = Array.isArray(raw) ? raw : [raw];
  kernels.forEach((kernel, index) => {
    if (kernels.indexOf(kernel) !== index) fail([...at, 'kernel', index], `duplicate kernel "${kernel}" in kernel`);
  });
  return kernels;
}

function resolveVm(
  raw: { memory: string; cpus: number; machine: VmSettings['machine']; kernel?: unknown },
  at: Path,
  fail: Fail,
): VmSettings {
  const memoryBytes = toBytes(raw.memory, [...at, 'memory'], fail);
  if (memoryBytes % MIB !== 0 || memoryBytes < MIN_VM_BYTES || memoryBytes > MAX_VM_BYTES) {
    fail([...at, 'memory'], `expected memory to be whole MiB from 64m to 64g; got "${raw.memory}"`);
  }
  return { memoryBytes, cpus: raw.cpus, machine: raw.machine };
}

function resolveLimits(raw: NonNullable<CaseFile['limits']>, at: Path, fail: Fail): ResourceLimits {
  const limits: ResourceLimits = {};
  if (raw.memory !== undefined) {
    limits.memoryBytes = toBytes(raw.memory, [...at, 'memory'], fail);
    if (limits.memoryBytes < MIN_LIMIT_BYTES)
      fail([...at, 'memory'], `expected memory to be at least 4m; got "${raw.memory}"`);
  }
  if (raw.cpus !== undefined) limits.cpus = raw.cpus;
  if (raw.pids !== undefined) limits.pidsLimit = raw.pids;
  return limits;
}

function resolveEnv(raw: Record<string, string | number | boolean>, at: Path, fail: Fail): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(key)) {
      fail([...at, key], `expected an environment variable name like GREETING (letters, digits, _); got "${key}"`);
    }
    env[key] = String(value);
  }
  return env;
}

function resolvePlan(
  target: TargetKind,
  raw: CaseFile,
  file: ScenarioFile,
  sweep: CaseSweep,
  at: Path,
  fail: Fail,
): TargetPlan {
  const fromDefaults = file.defaults?.perTarget?.[target] ?? {};
  const fromCase = raw.perTarget?.[target] ?? {};
  const pick = <K extends 'warmup' | 'iterations' | 'timeoutSeconds'>(key: K): number =>
    fromCase[key] ?? raw[key] ?? fromDefaults[key] ?? file.defaults?.[key] ?? BUILTIN_DEFAULTS[key];
  const narrowedAt: Path = [...at, 'perTarget', target, 'sweep'];
  const narrowed = fromCase.sweep ? resolveSweep(fromCase.sweep, narrowedAt, target === 'vm', fail) : {};
  const targetSweep: CaseSweep = { ...sweep };
  for (const key of ['instances', 'memoryBytes', 'cpus', 'param'] as const) {
    const values = narrowed[key] as Array<string | number> | undefined;
    if (values === undefined) continue;
    const yamlKey = key === 'memoryBytes' ? 'memory' : key;
    const all = sweep[key] as Array<string | number> | undefined;
    if (!all) {
      fail([...narrowedAt, yamlKey], `perTarget.${target}.sweep.${yamlKey}: the case does not sweep ${yamlKey}`);
    }
    const shown = all.map((v) => (key === 'memoryBytes' ? formatSize(Number(v)) : String(v))).join(', ');
    values.forEach((value, index) => {
      if (all.includes(value)) return;
      const got = describeValue(fromCase.sweep?.[yamlKey]?.[index]);
      fail(
        [...narrowedAt, yamlKey, index],
        `expected ${yamlKey} to be one of the case's sweep values (${shown}); got ${got}`,
      );
    });
    (targetSweep as Record<string, unknown>)[key] = values;
  }
  return {
    target,
    warmup: pick('warmup'),
    iterations: pick('iterations'),
    timeoutSeconds: pick('timeoutSeconds'),
    sweep: targetSweep,
  };
}

function resolveThresholds(file: ScenarioFile, cases: ScenarioCase[], fail: Fail): Thresholds {
  const thresholds: Thresholds = {};
  const measured = new Set(cases.map((entry) => entry.measure));
  for (const [metric, text] of Object.entries(file.thresholds ?? {})) {
    if (text === undefined || !(METRIC_NAMES as string[]).includes(metric)) continue;
    const name = metric as MetricName;
    const fraction = Number(text.slice(0, -1)) / 100;
    if (fraction <= 0) fail(['thresholds', metric], `expected ${metric} to be a percentage above 0%; got "${text}"`);
    const producers = METRICS[name].measures;
    if (!producers.some((measure) => measured.has(measure))) {
      fail(
        ['thresholds', metric],
        `threshold for ${metric}, which no case measures: expected a case with measure ${producers.join(' or ')}`,
        'remove the threshold or add a case that produces the metric',
      );
    }
    thresholds[name] = fraction;
  }
  return thresholds;
}
