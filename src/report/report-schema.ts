// The schema of report.json (the ReportModel as written), in zod: docs/schema/report.schema.json is
// generated from it (json-schema.ts), and the tests parse real models with it, so the published
// schema cannot drift from what isobench writes. Strict objects: a field the schema lacks fails.
// NOTE: when a model type (model.ts, density.ts, conditions.ts, environment.ts, stats/) gains a
// field, add it here and run `npm run schema`.

import { z } from 'zod';
import {
  medianCiSchema,
  outlierCheckSchema,
  runResultSchema,
  seriesSchema,
  summarySchema,
  timelinePointSchema,
} from '../suite/run-schema.js';

// The shapes a run.json already defines are taken from it (suite/run-schema.ts), made strict here.
const series = seriesSchema.shape;
const accel = series.accel.unwrap().nullable();
const target = series.target;
const point = series.point;
const measure = series.measure;
const seriesStatus = series.status;
const runStatus = runResultSchema.shape.status;

const [medianInterval, medianTooFew] = medianCiSchema.options;
const medianCi = z.discriminatedUnion('state', [
  z.strictObject(medianInterval.shape),
  z.strictObject(medianTooFew.shape),
]);
const [outliersApplied, outliersNone] = outlierCheckSchema.options;
const summary = z.strictObject({
  ...summarySchema.shape,
  ci: medianCi,
  outliers: z.discriminatedUnion('rule', [z.strictObject(outliersApplied.shape), z.strictObject(outliersNone.shape)]),
});

// Every other CI of a report (stats/) has the median CI's fields but its ranks, and a method of its own.
const given = medianInterval.omit({ method: true, lowRank: true, highRank: true }).shape;
const tooFew = medianTooFew.omit({ method: true, minN: true }).shape;

const ratioCi = z.discriminatedUnion('state', [
  z.strictObject({ ...given, method: z.literal('hodges-lehmann-log'), exact: z.boolean() }),
  z.strictObject({ ...tooFew, method: z.literal('hodges-lehmann-log') }),
  z.strictObject({
    state: z.literal('not-positive'),
    method: z.literal('hodges-lehmann-log'),
    level: z.number(),
    reason: z.string(),
    detail: z.string(),
  }),
]);

const ratioFigure = z.strictObject({ ratio: z.number(), ci: ratioCi, accel });

const hostEnvironment = z.strictObject({
  hostname: z.string(),
  cpuModel: z.string(),
  cores: z.number().nullable(),
  memoryBytes: z.number().nullable(),
  kernel: z.string(),
  distro: z.string(),
  hostKind: z.enum(['guest', 'bare-metal', 'unknown', 'not-checked']),
  hypervisor: z.string().nullable(),
  virtualizationEvidence: z.array(z.string()),
  container: z.string().nullable(),
  virtualization: z.string(),
  kvmAvailable: z.boolean().nullable(),
  cgroupMode: z.string(),
  ksmRun: z.number().int().nullable(),
  thpEnabled: z.string().nullable(),
});

const runInfo = z.strictObject({
  index: z.number().int(),
  runId: z.string(),
  label: z.string(),
  hostname: z.string(),
  commit: z.string().nullable(),
  date: z.string(),
  startedAt: z.string(),
  status: runStatus,
  interrupted: z.boolean(),
  isobenchVersion: z.string(),
  environment: hostEnvironment,
  scenarios: z.array(z.string()),
  /** How the targets were ordered in each round, in words, with the seed that replays it. */
  order: z.string(),
  /** The page cache during launches: "warm", "cold: ..." (--cold) or "not recorded". */
  pageCache: z.string(),
});

/** A target of the answer; the vm's kernel variant ('stock', 'minimal') makes it a target of its own. */
const answerTarget = { target, variant: z.string().nullable() };

const targetFigure = z.strictObject({ ...answerTarget, median: z.number(), n: z.number().int(), ci: medianCi, accel });

const answerCell = z.strictObject({
  figures: z.array(targetFigure),
  ratios: z.array(
    ratioFigure.extend({
      key: z.enum(['container/native', 'vm/native', 'vm/container']),
      /** Kernel variant of the vm side; null for container / native. */
      variant: z.string().nullable(),
    }),
  ),
});

const answerRowShape = {
  metric: z.string(),
  unit: z.string(),
  higherIsWorse: z.boolean(),
  description: z.string(),
  scenario: z.string(),
  case: z.string(),
  pointKey: z.string(),
  pointLabel: z.string(),
  targets: z.array(z.strictObject(answerTarget)),
  cells: z.array(answerCell.nullable()),
};

const place = {
  runIndex: z.number().int(),
  scenario: z.string(),
  case: z.string(),
  measure,
  point,
  pointKey: z.string(),
  pointLabel: z.string(),
};

const seriesView = z.strictObject({
  ...place,
  target,
  accel,
  variant: z.string().nullable(),
  targetLabel: z.string(),
  status: seriesStatus,
  reason: z.string().nullable(),
  recordedIterations: z.number().int(),
  failures: z.array(z.strictObject({ index: z.number().int(), error: z.string() })),
  metrics: z.array(
    z.strictObject({
      metric: z.string(),
      unit: z.string(),
      higherIsWorse: z.boolean(),
      samples: z.array(z.number()),
      sampleIterations: z.array(z.number().int()),
      summary: summary.nullable(),
      ratioToNative: ratioFigure.nullable(),
    }),
  ),
  phasesMedianNs: z.record(z.string(), z.number()).nullable(),
  timeline: z.array(z.strictObject(timelinePointSchema.pick({ tMs: true, pssBytes: true }).shape)).nullable(),
});

const lineFit = z.strictObject({
  n: z.number().int(),
  slope: z.number(),
  intercept: z.number(),
  slopeStandardError: z.number(),
  slopeCi: z.discriminatedUnion('state', [
    z.strictObject({ ...given, method: z.literal('student-t') }),
    z.strictObject({ ...tooFew, method: z.literal('student-t') }),
  ]),
  rSquared: z.number(),
});

const slopeReading = z.discriminatedUnion('state', [
  z.strictObject({ state: z.literal('cost'), slope: z.number(), low: z.number(), high: z.number(), level: z.number() }),
  z.strictObject({ state: z.literal('below-noise-floor'), noiseFloor: z.number(), level: z.number() }),
  z.strictObject({
    state: z.literal('implausible-negative'),
    low: z.number(),
    high: z.number(),
    level: z.number(),
    reason: z.string(),
  }),
  z.strictObject({ state: z.literal('n-too-small'), reason: z.string(), detail: z.string() }),
]);

const slopeFigure = {
  metric: z.string(),
  n: z.number().int(),
  fit: lineFit.nullable(),
  reading: slopeReading.nullable(),
  reason: z.string().nullable(),
};

const densityFit = z.strictObject({
  runIndex: z.number().int(),
  scenario: z.string(),
  case: z.string(),
  target,
  accel,
  targetLabel: z.string(),
  metric: z.literal('memory.host_pinned'),
  points: z.array(
    z.strictObject({ instances: z.number(), values: z.array(z.number()), median: z.number(), ci: medianCi }),
  ),
  total: z.strictObject(slopeFigure),
  components: z.array(z.strictObject({ ...slopeFigure, label: z.string() })),
});

function recorded<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('state', [
    z.strictObject({ state: z.literal('recorded'), value, where: z.string() }),
    z.strictObject({ state: z.literal('not-recorded') }),
  ]);
}

const runConditions = z.strictObject({
  runIndex: z.number().int(),
  host: hostEnvironment,
  vmAccels: z.array(accel),
  coldCache: recorded(z.boolean()),
  settleMs: recorded(z.number()),
  orderSeed: recorded(z.union([z.number(), z.string()])),
  peerMounts: z.array(
    z.strictObject({ target, state: z.enum(['timed', 'pre-mounted', 'unknown']), mountNs: z.number().nullable() }),
  ),
  interrupted: z.boolean(),
  status: runStatus,
  recordedIterations: z.number().int(),
  failedIterations: z.number().int(),
});

/** report.json: the ReportModel (model.ts) as JSON. */
export const reportModelSchema = z.strictObject({
  runs: z.array(runInfo),
  answer: z.array(z.strictObject(answerRowShape)),
  groups: z.array(z.strictObject({ ...place, series: z.array(seriesView) })),
  skipped: z.array(
    z.strictObject({
      runIndex: z.number().int(),
      scenario: z.string(),
      case: z.string(),
      pointLabel: z.string(),
      target,
      status: seriesStatus,
      reason: z.string(),
    }),
  ),
  stats: z.strictObject({
    confidence: z.number(),
    medianCiMinN: z.number().int(),
    outlierMinN: z.number().int(),
    outlierZLimit: z.number(),
  }),
  headline: z.array(z.strictObject({ ...answerRowShape, key: z.enum(['startup', 'memory', 'disk', 'disk-own']) })),
  density: z.array(densityFit),
  definitions: z.array(
    z.strictObject({
      metric: z.string(),
      target,
      common: z.string(),
      covers: z.string().nullable(),
      nMin: z.number().int(),
      nMax: z.number().int(),
      phases: z.array(z.string()),
    }),
  ),
  conditions: z.array(runConditions),
});
