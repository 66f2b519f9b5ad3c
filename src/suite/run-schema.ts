// The versioned run.json schema: what a suite run records (environment, scenario as run, raw
// samples, summaries) and what results/, reports and `compare` read back. It lives with the
// suite, its producer, so the layers above (results, report, cli) import it downward. Validated
// with zod on read, so a truncated file or another schema version is refused with the reason,
// never half-read.
import { z } from 'zod';
import { ACCELS, MEASURE_KINDS, METRIC_UNITS, TARGET_KINDS } from '../vocabulary.js';

/** Bump on any incompatible change; add a migration in results/migrate.ts for the old one. */
export const RESULT_SCHEMA_VERSION = 1;

/** The order-statistics CI of a median (stats/median-ci.ts), or why there is none. */
const medianCiSchema = z.discriminatedUnion('state', [
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
const outlierCheckSchema = z.discriminatedUnion('rule', [
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
  /** Memory over time during start-up: ms since launch and PSS bytes of the instance tree. */
  timeline: z.array(z.object({ tMs: z.number(), pssBytes: z.number() })).optional(),
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
  /** vm: the kernel variant, 'stock' (Debian's) or 'minimal' (built from source); reports show "VM, <variant> kernel". */
  variant: z.string().optional(),
  iterations: z.array(iterationSchema),
  metrics: z.record(z.string(), metricSeriesSchema),
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
  /** CLI options that changed the scenario (e.g. --iterations, --targets). */
  overrides: z.record(z.string(), z.unknown()),
  series: z.array(seriesSchema),
});

export type RunResult = z.infer<typeof runResultSchema>;
export type Series = z.infer<typeof seriesSchema>;
export type Iteration = z.infer<typeof iterationSchema>;
export type MetricSeries = z.infer<typeof metricSeriesSchema>;
export type SummaryRecord = z.infer<typeof summarySchema>;
