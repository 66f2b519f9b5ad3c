// Reading a schema-version-1 run.json (test/fixtures/runs/v1-example/run.json, the old example
// run, written by isobench with version 1 and its bootstrap summaries) migrates it to the current
// version, losing nothing.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../src/errors.js';
import { migrateRunV1 } from '../../src/results/migrate-run.js';
import { readRun } from '../../src/results/read-run.js';
import { summarize } from '../../src/stats/index.js';
import { RESULT_SCHEMA_VERSION, runResultSchema } from '../../src/suite/run-schema.js';

const EXAMPLE = path.join(import.meta.dirname, '../fixtures/runs/v1-example/run.json');

describe('reading a schema-version-1 run', () => {
  it('migrates the old example run.json: same samples and iterations, summaries recomputed', async () => {
    const v1 = JSON.parse(await fs.readFile(EXAMPLE, 'utf8'));
    expect(v1.schemaVersion).toBe(1);
    // The old summaries: a bootstrap [low, high] without a state, outliers as an array.
    const oldSummary = v1.series[0].metrics['startup.ready'].summary;
    expect(oldSummary.ci).not.toHaveProperty('state');
    expect(Array.isArray(oldSummary.outliers)).toBe(true);

    const run = await readRun(EXAMPLE);
    expect(run.schemaVersion).toBe(RESULT_SCHEMA_VERSION);
    expect(runResultSchema.safeParse(run).success).toBe(true);
    expect(run.order).toEqual({ method: 'rotated' });
    expect(run.conditions).toEqual({ cold: false, hostMemory: null });
    // Nothing lost: every top-level field, and per series everything but the summaries.
    for (const key of [
      'runId',
      'status',
      'startedAt',
      'finishedAt',
      'isobench',
      'environment',
      'scenarios',
      'overrides',
    ]) {
      expect(run[key as keyof typeof run]).toEqual(v1[key]);
    }
    expect(run.series).toHaveLength(v1.series.length);
    run.series.forEach((series, i) => {
      const old = v1.series[i];
      const { metrics, ...rest } = series;
      const { metrics: oldMetrics, ...oldRest } = old;
      expect(rest).toEqual(oldRest);
      expect(Object.keys(metrics)).toEqual(Object.keys(oldMetrics));
      for (const [metric, data] of Object.entries(metrics)) {
        expect(data.samples).toEqual(oldMetrics[metric].samples);
        expect(data.unit).toBe(oldMetrics[metric].unit);
        expect(data.summary).toEqual(data.samples.length > 0 ? summarize(data.samples) : undefined);
      }
    });
    // The recomputed summary of a 10-sample startup series has the order-statistics CI.
    const ready = run.series[0]!.metrics['startup.ready']!.summary!;
    expect(ready.n).toBe(10);
    expect(ready.ci.state).toBe('interval');
    expect(ready.outliers.rule).toBe('modified-z');
  });

  it('refuses a version-1 file that does not match version 1, naming the field', async () => {
    const v1 = JSON.parse(await fs.readFile(EXAMPLE, 'utf8'));
    v1.series[2].target = 'docker';
    expect(() => migrateRunV1(v1, 'bad/run.json')).toThrow(IntegrityError);
    expect(() => migrateRunV1(v1, 'bad/run.json')).toThrow(
      /^bad\/run\.json does not match the run schema version 1 \(series\.2\.target: /,
    );
  });

  it('reads the migrated run written back as version 2 unchanged', async () => {
    const run = await readRun(EXAMPLE);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-migrate-'));
    try {
      await fs.writeFile(path.join(dir, 'run.json'), JSON.stringify(run));
      expect(await readRun(dir)).toEqual(run);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
