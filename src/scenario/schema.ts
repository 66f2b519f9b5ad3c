// The scenario format: the words it is built from (targets, measures, metrics), the zod schema of the
// YAML file as written, and the resolved types the runner consumes (defaults applied, sizes in bytes).
import { z } from 'zod';
import type { ResourceLimits } from '../container/types.js';
import { VM_KERNEL_VARIANTS, type VmKernelVariant } from '../vm/definition.js';
import {
  MEASURE_KINDS,
  METRIC_NAMES,
  type MeasureKind,
  type MetricName,
  TARGET_KINDS,
  type TargetKind,
} from '../vocabulary.js';

/** QEMU machine types a case may ask for (same words as vm-images/*.yaml). */
export const VM_MACHINES = ['microvm', 'q35'] as const;
export type VmMachine = (typeof VM_MACHINES)[number];

/** Guest kernels a case may boot on the vm target (the words of `vm run --kernel`); stock is the default. */
export const VM_KERNELS = Object.keys(VM_KERNEL_VARIANTS) as [VmKernelVariant, ...VmKernelVariant[]];
export type VmKernel = VmKernelVariant;

/** Sweep keys, in the order expandCase nests them (first = outermost). */
export const SWEEP_KEYS = ['instances', 'memory', 'cpus', 'param'] as const;
export type SweepKey = (typeof SWEEP_KEYS)[number];

// ---------------------------------------------------------------------------------------------
// The file as written. Messages of custom checks are the expected form: the loader turns them
// into "expected <field> to be <form>; got <value>".

/** Size text: digits and an optional binary unit k, m, g or t (case-insensitive). */
export const SIZE_PATTERN = /^[0-9]{1,15}[kmgtKMGT]?$/;
const PERCENT_PATTERN = /^[0-9]{1,4}(\.[0-9]{1,3})?%$/;
const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

const sizeText = z.custom<string>(
  (value) => typeof value === 'string' && SIZE_PATTERN.test(value),
  'a size like 128m, 1g or 512k (digits and an optional binary unit k, m, g, t)',
);
const percentText = z.custom<string>(
  (value) => typeof value === 'string' && PERCENT_PATTERN.test(value),
  'a percentage like 10%',
);
const paramValue = z.custom<string | number>(
  (value) =>
    (typeof value === 'string' && value.length > 0 && value.length <= 256 && !value.includes('\0')) ||
    (typeof value === 'number' && Number.isFinite(value)),
  'a non-empty string or a number',
);
const envValue = z.custom<string | number | boolean>(
  (value) =>
    (typeof value === 'string' && value.length <= 4096 && !value.includes('\0')) ||
    typeof value === 'number' ||
    typeof value === 'boolean',
  'a string, a number or a boolean',
);
const name = z.string().regex(NAME_PATTERN, 'a lower-case name like hello (a-z, 0-9 and -, at most 64)');
// The type error says "an integer" (zod alone would say "number" for a string).
const count = (min: number, max: number) =>
  z
    .int({ error: (issue) => (issue.code === 'invalid_type' ? 'an integer' : undefined) })
    .min(min)
    .max(max);
const commandArg = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[^\0]*$/, 'an argument without NUL bytes');

const vmSchema = z.strictObject({
  memory: sizeText.optional(),
  cpus: count(1, 64).optional(),
  machine: z.enum(VM_MACHINES).optional(),
  /** One kernel, or several: the vm target then runs once per kernel, each its own series. */
  kernel: z.union([z.enum(VM_KERNELS), z.array(z.enum(VM_KERNELS)).min(1).max(VM_KERNELS.length)]).optional(),
});

const sweepSchema = z.strictObject({
  instances: z.array(count(1, 256)).min(1).max(32).optional(),
  memory: z.array(sizeText).min(1).max(32).optional(),
  cpus: z.array(z.number().positive().max(256)).min(1).max(32).optional(),
  param: z.array(paramValue).min(1).max(32).optional(),
});

const targetSettingsShape = {
  warmup: count(0, 1000).optional(),
  iterations: count(1, 10_000).optional(),
  timeoutSeconds: count(1, 86_400).optional(),
};

/** Builds `perTarget`: one optional block per target word, so a misspelt target is an unknown key. */
function perTargetSchema<T extends z.ZodType>(settings: T) {
  const shape = Object.fromEntries(TARGET_KINDS.map((kind) => [kind, settings.optional()]));
  return z.strictObject(shape as Record<TargetKind, z.ZodOptional<T>>);
}

/** The network a case's targets give the workload: none (the default), or the host's (a server on 127.0.0.1). */
export const CASE_NETWORKS = ['none', 'host'] as const;
export type CaseNetwork = (typeof CASE_NETWORKS)[number];

const settingsShape = {
  targets: z.array(z.enum(TARGET_KINDS)).min(1).max(TARGET_KINDS.length).optional(),
  ...targetSettingsShape,
  budgetSeconds: count(1, 86_400).optional(),
  network: z.enum(CASE_NETWORKS).optional(),
  sampleIntervalMs: count(1, 60_000).optional(),
  holdMs: count(0, 600_000).optional(),
  settleMs: count(0, 600_000).optional(),
  baselineTolerance: sizeText.optional(),
  baselineWaitMs: count(0, 600_000).optional(),
  image: z
    .string()
    .regex(
      /^(?!.*\.\.)[a-z0-9][a-z0-9._/:@-]{0,254}$/,
      'an image reference like probe or docker.io/library/busybox:1.36',
    )
    .optional(),
  vm: vmSchema.optional(),
};

const defaultsSchema = z.strictObject({
  ...settingsShape,
  perTarget: perTargetSchema(z.strictObject(targetSettingsShape)).optional(),
});

/** Load generators whose output a workload case can parse (src/suite/workload/parsers). */
export const WORKLOAD_PARSERS = ['wrk', 'redis-benchmark', 'sysbench', 'fio', 'iperf3'] as const;
export type WorkloadParser = (typeof WORKLOAD_PARSERS)[number];

/** How the host tells that the server answers: a TCP connect, an HTTP GET with a 2xx, redis' PONG. */
export const WORKLOAD_CHECKS = ['tcp', 'http', 'redis'] as const;
export type WorkloadCheck = (typeof WORKLOAD_CHECKS)[number];

const workloadSchema = z.strictObject({
  /** The server's TCP port on 127.0.0.1; absent when the target's command is the load itself (fio, sysbench). */
  port: count(1, 65_535).optional(),
  check: z.enum(WORKLOAD_CHECKS).optional(),
  /** HTTP check: the path to GET. */
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~/-]{0,255}$/, 'a path like / or /index.html')
    .optional(),
  /** argv of the load generator, run on the host against 127.0.0.1:port. */
  client: z.array(commandArg).min(1).max(256).optional(),
  parser: z.enum(WORKLOAD_PARSERS),
});

const caseSchema = z.strictObject({
  name,
  description: z.string().max(500).optional(),
  measure: z.enum(MEASURE_KINDS),
  command: z.array(commandArg).min(1).max(256),
  ready: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a marker like ISOBENCH-READY (letters, digits, _ . : -)')
    .optional(),
  env: z.record(z.string(), envValue).optional(),
  limits: z
    .strictObject({
      memory: sizeText.optional(),
      cpus: z.number().positive().max(1024).optional(),
      pids: count(1, 4_194_304).optional(),
    })
    .optional(),
  sweep: sweepSchema.optional(),
  workload: workloadSchema.optional(),
  ...settingsShape,
  perTarget: perTargetSchema(z.strictObject({ ...targetSettingsShape, sweep: sweepSchema.optional() })).optional(),
});

const thresholdsShape = Object.fromEntries(METRIC_NAMES.map((metric) => [metric, percentText.optional()]));

/** The scenario file exactly as written (strict: unknown keys are errors). */
export const scenarioFileSchema = z.strictObject({
  schemaVersion: z.literal(1),
  name,
  description: z.string().max(500),
  defaults: defaultsSchema.optional(),
  cases: z.array(caseSchema).min(1).max(64),
  thresholds: z.strictObject(thresholdsShape as Record<MetricName, z.ZodOptional<typeof percentText>>).optional(),
});

export type ScenarioFile = z.infer<typeof scenarioFileSchema>;
export type CaseFile = z.infer<typeof caseSchema>;
export type SweepFile = z.infer<typeof sweepSchema>;
export type WorkloadFile = z.infer<typeof workloadSchema>;

// ---------------------------------------------------------------------------------------------
// Resolved: what loadScenario returns. Validated at the edge; everything downstream trusts it.

/** VM settings of a case; `memoryBytes` is a whole number of MiB. */
export interface VmSettings {
  memoryBytes: number;
  cpus: number;
  machine: VmMachine;
}

/** Sweep values of a case, in file order; an absent key is not swept. */
export interface CaseSweep {
  /** Number of instances started side by side (all running at once). */
  instances?: number[];
  /** Memory per instance in bytes: the cgroup limit of containers and peers, the VM's memory. */
  memoryBytes?: number[];
  /** CPUs per instance: the cgroup quota in cores; the VM's vCPU count (whole numbers when vm runs). */
  cpus?: number[];
  /** Free-form values substituted for `{param}` in the command. */
  param?: string[];
}

/** A workload case's server, readiness check and load generator, validated. */
export interface WorkloadSettings {
  /** The server's port on 127.0.0.1; absent: the target's command is the load and runs to exit. */
  port?: number;
  /** Readiness check of the server (tcp when the file says nothing). */
  check: WorkloadCheck;
  /** HTTP check: path of the GET. */
  path: string;
  /** Load generator run on the host; absent: the target's own output is parsed. */
  client?: string[];
  parser: WorkloadParser;
}

/** How one target runs a case: its iterations, timeout and the sweep values it takes part in. */
export interface TargetPlan {
  target: TargetKind;
  /** Iterations run first and not recorded, per sweep point. */
  warmup: number;
  /** Recorded iterations per sweep point. */
  iterations: number;
  /** Wall-clock limit of one iteration in seconds; past it the iteration is recorded as failed. */
  timeoutSeconds: number;
  /** The case's sweep, narrowed for this target (every value is one of the case's). */
  sweep: CaseSweep;
  /** vm: the guest kernel, when the scenario names one (vm.kernel); absent means the stock kernel. */
  kernel?: VmKernel;
}

export interface ScenarioCase {
  name: string;
  description?: string;
  measure: MeasureKind;
  /** argv of the workload; may hold `{param}` when the sweep has `param`. */
  command: string[];
  /** Prefix of the stdout line that means ready; from `ready:` or the probe's ready step. */
  readyMarker?: string;
  env: Record<string, string>;
  /** cgroup limits of containers and peers (VMs take memory and cpus from `vm`). */
  limits: ResourceLimits;
  vm: VmSettings;
  /** Image reference; a name with a recipe under scenarios/images/<name>/ is built on demand. */
  image: string;
  /** Targets in file order. */
  targets: TargetKind[];
  /** One plan per entry of `targets`, same order. */
  plans: TargetPlan[];
  sweep: CaseSweep;
  /** The network the targets give the workload: none, or the host's. */
  network: CaseNetwork;
  /** workload measure only: the server, its check and the load generator. */
  workload?: WorkloadSettings;
  /** Wall-clock budget for the whole case in seconds: stop starting iterations past it, keep what finished. */
  budgetSeconds?: number;
  /** Interval of the memory/CPU sampler in ms. */
  sampleIntervalMs: number;
  /** memory/density: how long instances stay up after ready while being sampled, in ms. */
  holdMs: number;
  /** Pause before each iteration but the first of a point (every target's), ms; 0: none. */
  settleMs: number;
  /** density: two baseline readings agree when their components differ by at most this in sum, bytes. */
  baselineToleranceBytes: number;
  /** density: how long to wait for the baseline to settle before measuring anyway (recorded as unsettled), ms. */
  baselineWaitMs: number;
  /** Line of the case in its file, for messages. */
  line: number;
}

/** Relative regression thresholds for `compare`: 0.1 means 10 %. */
export type Thresholds = Partial<Record<MetricName, number>>;

export interface Scenario {
  schemaVersion: 1;
  name: string;
  description: string;
  /** The file it was loaded from, as given. */
  file: string;
  cases: ScenarioCase[];
  thresholds: Thresholds;
}

/** Settings a case gets when neither it nor `defaults` says otherwise. */
export const BUILTIN_DEFAULTS = {
  targets: TARGET_KINDS,
  warmup: 1,
  iterations: 10,
  timeoutSeconds: 120,
  sampleIntervalMs: 50,
  holdMs: 1000,
  settleMs: 0,
  baselineTolerance: '512k',
  baselineWaitMs: 10_000,
  image: 'probe',
  vm: { memory: '256m', cpus: 1, machine: 'microvm' },
} as const;
