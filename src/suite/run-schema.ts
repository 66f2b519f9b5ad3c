// The versioned run.json schema: what a suite run records (environment, scenario as run, raw
// samples, summaries) and what results/, reports and `compare` read back. It lives with the
// suite, its producer, so the layers above (results, report, cli) import it downward. Validated
// with zod on read, so a truncated file or another schema version is refused with the reason,
// never half-read.
import { z } from 'zod';
import { ACCELS, MEASURE_KINDS, METRIC_UNITS, TARGET_KINDS } from '../vocabulary.js';

/**
 * Bump on any incompatible change; add a migration in results/migrate-run.ts for the old one.
 * 2: summaries with the order-statistics CI and the outlier check as unions; the round order's
 * seed, the run's conditions (cold page cache, KSM/THP), density and cache-drop details per iteration.
 */
export const RESULT_SCHEMA_VERSION = 2;

/** The order-statistics CI of a median (stats/median-ci.ts), or why there is none. */
export const medianCiSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('interval'),
    method: z.literal('order-statistics'),
    level: z.number(),
    coverage: z.number(),
    low: z.number(),
    high: z.number(),
    lowRank: z.number().int().positive(),
    highRank: z.number().int().positive(),
  }),
  z.object({
    state: z.literal('n-too-small'),
    method: z.literal('order-statistics'),
    level: z.number(),
    reason: z.string(),
    detail: z.string(),
    minN: z.number().int().positive(),
  }),
]);

/** The outlier check of a summary (stats/outliers.ts): the rule applied, or why none was. */
export const outlierCheckSchema = z.discriminatedUnion('rule', [
  z.object({ rule: z.literal('modified-z'), zLimit: z.number(), indices: z.array(z.number().int()) }),
  z.object({ rule: z.literal('none'), minN: z.number().int().positive(), reason: z.string() }),
]);

export const summarySchema = z.object({
  n: z.number().int().positive(),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  median: z.number(),
  p95: z.number(),
  stddev: z.number(),
  mad: z.number(),
  ci: medianCiSchema,
  outliers: outlierCheckSchema,
});

/** Memory over time during start-up: ms since launch, PSS bytes of the instance tree and its split by kind. */
export const timelinePointSchema = z.object({
  tMs: z.number(),
  pssBytes: z.number(),
  /** Pss_Anon, Pss_File, Pss_Shmem summed over the tree; absent on kernels without them. */
  pssAnonBytes: z.number().optional(),
  pssFileBytes: z.number().optional(),
  pssShmemBytes: z.number().optional(),
});

/** The /proc/meminfo fields an instance pins, in bytes (measure/host-pinned.ts). */
export const pinnedComponentsSchema = z.object({
  anonPagesBytes: z.number(),
  shmemBytes: z.number(),
  sUnreclaimBytes: z.number(),
  kernelStackBytes: z.number(),
  pageTablesBytes: z.number(),
  percpuBytes: z.number(),
});

/** How a density iteration measured host memory: its baseline, the reading with N instances, the harness's share. */
export const densityDetailSchema = z.object({
  instances: z.number().int().positive(),
  baseline: z.object({
    /** True when two successive readings agreed within toleranceBytes before the wait ran out. */
    settled: z.boolean(),
    waitedMs: z.number().nonnegative(),
    readings: z.number().int().positive(),
    toleranceBytes: z.number().nonnegative(),
    /** Sum of the components' absolute changes between the last two readings. */
    lastChangeBytes: z.number().nonnegative(),
    components: pinnedComponentsSchema,
  }),
  /** The components with the N instances up, after the hold. */
  loaded: pinnedComponentsSchema,
  /** The harness process's own change over the iteration, subtracted from the components. */
  harnessChange: z.object({ anonBytes: z.number(), shmemBytes: z.number(), pageTablesBytes: z.number() }),
  /** KSM pages_sharing with the instances up (pages deduplicated), when the kernel has KSM. */
  ksmPagesSharing: z.number().int().nonnegative().optional(),
});

/** One recorded (or warm-up) iteration of one series. */
export const iterationSchema = z.object({
  index: z.number().int().nonnegative(),
  warmup: z.boolean(),
  ok: z.boolean(),
  /** Failure message when ok is false; the run goes on. */
  error: z.string().optional(),
  /** Metric name -> value in the metric's base unit (ns, bytes, bytes_per_s, ratio). */
  values: z.record(z.string(), z.number()),
  /** Startup phases of this iteration, ns from launch. */
  phasesNs: z.record(z.string(), z.number()).optional(),
  /** Memory over time during start-up (memory measure). */
  timeline: z.array(timelinePointSchema).optional(),
  /** 0-based place of this target in its round's order (absent in runs from schema version 1). */
  position: z.number().int().nonnegative().optional(),
  /** --cold: how many times the page cache was dropped in this iteration (once before each launch). */
  cacheDrops: z.number().int().nonnegative().optional(),
  /** Density measure: the baseline, the loaded reading and the harness's share. */
  density: densityDetailSchema.optional(),
});

export const metricSeriesSchema = z.object({
  unit: z.enum(METRIC_UNITS),
  higherIsWorse: z.boolean(),
  /** Recorded (non-warm-up, successful) values, in iteration order. */
  samples: z.array(z.number()),
  summary: summarySchema.optional(),
});

/** All iterations of one (scenario, case, sweep point, target). */
export const seriesSchema = z.object({
  scenario: z.string(),
  case: z.string(),
  measure: z.enum(MEASURE_KINDS),
  /** Sweep point, e.g. { instances: 4, memory: 268435456 }; {} without a sweep. */
  point: z.record(z.string(), z.union([z.number(), z.string()])),
  target: z.enum(TARGET_KINDS),
  status: z.enum(['ok', 'skipped', 'failed', 'partial']),
  /** Why a target did not run on this host (skipped) or why every iteration failed. */
  reason: z.string().optional(),
  /** vm: 'kvm' or 'tcg' — a TCG figure must never pass for a KVM one. */
  accel: z.enum(ACCELS).optional(),
  machine: z.string().optional(),
  /** vm: the kernel variant, 'stock' (Debian's) or 'minimal' (built from source); reports show "vm (TCG, <variant> kernel)". */
  variant: z.string().optional(),
  iterations: z.array(iterationSchema),
  metrics: z.record(z.string(), metricSeriesSchema),
});

/** KSM and THP state (measure/host-memory.ts readHostMemoryState); null parts: the kernel lacks them. */
export const hostMemoryStateSchema = z.object({
  ksm: z.object({ run: z.number(), pagesShared: z.number(), pagesSharing: z.number() }).nullable(),
  thp: z.object({ enabled: z.string(), defrag: z.string() }).nullable(),
});

/** How the targets were ordered in each round. */
export const roundOrderSchema = z.discriminatedUnion('method', [
  /** stats/round-order.ts planRoundOrders: a fresh permutation per round; replayable from the seed. */
  z.object({ method: z.literal('seeded-permutation'), seed: z.number().int() }),
  /** Schema version 1: round r started with target r mod n (the successor of each target fixed). */
  z.object({ method: z.literal('rotated') }),
]);

/** Conditions the whole run ran under. */
export const runConditionsSchema = z.object({
  /** --cold: the page cache was dropped (sync, then 3 into /proc/sys/vm/drop_caches) before each launch. */
  cold: z.boolean(),
  /** KSM and THP at the start of the run; null when not recorded (schema version 1). */
  hostMemory: hostMemoryStateSchema.nullable(),
});

export const runResultSchema = z.object({
  schemaVersion: z.literal(RESULT_SCHEMA_VERSION),
  runId: z.string(),
  status: z.enum(['running', 'complete', 'interrupted']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  isobench: z.object({ version: z.string(), commit: z.string().nullable(), dirty: z.boolean().nullable() }),
  /** Environment fingerprint (src/host/fingerprint-schema.ts), kept as recorded. */
  environment: z.record(z.string(), z.unknown()),
  scenarios: z.array(
    z.object({
      name: z.string(),
      file: z.string(),
      sha256: z.string(),
      /** The validated scenario as run (defaults applied, CLI overrides included). */
      definition: z.unknown(),
    }),
  ),
  /** CLI options that changed the scenario (e.g. --iterations, --targets, --cold, --seed). */
  overrides: z.record(z.string(), z.unknown()),
  /** Absent only in a run rebuilt from the history database, which does not keep it. */
  order: roundOrderSchema.optional(),
  /** Absent only in a run rebuilt from the history database, which does not keep them. */
  conditions: runConditionsSchema.optional(),
  series: z.array(seriesSchema),
});

export type RunResult = z.infer<typeof runResultSchema>;
export type Series = z.infer<typeof seriesSchema>;
export type Iteration = z.infer<typeof iterationSchema>;
export type MetricSeries = z.infer<typeof metricSeriesSchema>;
export type SummaryRecord = z.infer<typeof summarySchema>;
export type TimelinePoint = z.infer<typeof timelinePointSchema>;
export type PinnedComponentsRecord = z.infer<typeof pinnedComponentsSchema>;
export type DensityDetail = z.infer<typeof densityDetailSchema>;
export type HostMemoryStateRecord = z.infer<typeof hostMemoryStateSchema>;
export type RoundOrder = z.infer<typeof roundOrderSchema>;
export type RunConditions = z.infer<typeof runConditionsSchema>;
