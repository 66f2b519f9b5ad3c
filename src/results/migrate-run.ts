// Reads a run.json of an older schema version into the current one, losing nothing: the recorded
// samples are kept as they are and every summary is recomputed from them with today's summarize().

import { z } from 'zod';
import { IntegrityError } from '../errors.js';
import { summarize } from '../stats/index.js';
import {
  metricSeriesSchema,
  RESULT_SCHEMA_VERSION,
  type RunResult,
  runResultSchema,
  seriesSchema,
} from '../suite/run-schema.js';

/**
 * Schema version 1 as written: the shape of version 2 without the round order and the conditions,
 * and with summaries of any shape (before the order-statistics CI they held a bootstrap
 * `ci: { level, low, high }` and `outliers` as an array of indices); they are recomputed anyway.
 */
const runV1Schema = runResultSchema.omit({ order: true, conditions: true }).extend({
  schemaVersion: z.literal(1),
  series: z.array(
    seriesSchema.extend({
      metrics: z.record(z.string(), metricSeriesSchema.extend({ summary: z.unknown().optional() })),
    }),
  ),
});

/** "series.3.target: Invalid option ..." for the first few issues. */
export function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  const shown = issues.slice(0, 3).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  const more = issues.length > 3 ? `; and ${issues.length - 3} more` : '';
  return shown.join('; ') + more;
}

/**
 * Migrates a parsed schema-version-1 run to the current version: summaries recomputed from the
 * samples with summarize(); the order recorded as 'rotated' (how version 1 ordered rounds); the
 * conditions as a warm page cache (version 1 had no --cold) with KSM/THP not recorded (the
 * environment fingerprint keeps ksmRun and the THP settings).
 * @param file - named in errors.
 * @throws IntegrityError when `raw` does not match schema version 1.
 */
export function migrateRunV1(raw: unknown, file: string): RunResult {
  const parsed = runV1Schema.safeParse(raw);
  if (!parsed.success) {
    throw new IntegrityError(
      `${file} does not match the run schema version 1 (${describeIssues(parsed.error.issues)}): the run was interrupted while writing or the file is corrupt`,
      { hint: 're-run the suite with `isobench run` to record it again' },
    );
  }
  const v1 = parsed.data;
  const run: RunResult = {
    ...v1,
    schemaVersion: RESULT_SCHEMA_VERSION,
    order: { method: 'rotated' },
    conditions: { cold: false, hostMemory: null },
    series: v1.series.map((series) => ({
      ...series,
      metrics: Object.fromEntries(
        Object.entries(series.metrics).map(([metric, { summary: _old, ...data }]) => [
          metric,
          data.samples.length > 0 ? { ...data, summary: summarize(data.samples) } : data,
        ]),
      ),
    })),
  };
  // The result must be a valid current run; a failure here is a bug in this migration, not in the file.
  return runResultSchema.parse(run);
}
