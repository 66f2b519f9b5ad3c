// The versioned run.json schema: what a suite run records (environment, scenario as run, raw
// samples, summaries) and what reports and `compare` read back. Validated with zod on read, so
// a truncated file or another schema version is refused with the reason, never half-read.
import { z } from 'zod';

/** Bump on any incompatible change; add a migration in results/migrate.ts for the old one. */
export const RESULT_SCHEMA_VERSION = 1;

const ciSchema = z.object({ level: z.number(), low: z.number(), high: z.number() });

export const summarySchema = z.object({
  n: z.number().int().positive(),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  median: z.number(),
  p95: z.number(),
  stddev: z.number(),
  mad: z.number(),
  ci: ciSchema,
  outliers: z.array(z.number().int()),
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
  unit: z.enum(['ns', 'bytes', 'bytes_per_s', 'ratio']),
  higherIsWorse: z.boolean(),
  /** Recorded (non-warm-up, successful) values, in iteration order. */
  samples: z.array(z.number()),
  summary: summarySchema.optional(),
});

/** All iterations of one (scenario, case, sweep point, target). */
export const seriesSchema = z.object({
  scenario: z.string(),
  case: z.string(),
  measure: z.enum(['startup', 'memory', 'density', 'disk', 'io', 'cpu']),
  /** Sweep point, e.g. { instances: 4, memory: 268435456 }; {} without a sweep. */
  point: z.record(z.string(), z.union([z.number(), z.string()])),
  target: z.enum(['native', 'container', 'vm', 'runc', 'crun', 'podman']),
  status: z.enum(['ok', 'skipped', 'failed', 'partial']),
  /** Why a target did not run on this host (skipped) or why every iteration failed. */
  reason: z.string().optional(),
  /** vm: 'kvm' or 'tcg' — a TCG figure must never pass for a KVM one. */
  accel: z.enum(['kvm', 'tcg']).optional(),
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
