import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { buildJsonSchemas, SCHEMA_DIR } from '../../src/report/json-schema.js';
import { buildReportModel } from '../../src/report/model.js';
import { reportModelSchema } from '../../src/report/report-schema.js';
import { readRun } from '../../src/results/read-run.js';

const repo = path.join(import.meta.dirname, '../..');
const fixtures = path.join(repo, 'test/fixtures/runs');
const FIXTURES = ['synthetic-tiny', 'synthetic-full-tcg', 'synthetic-kvm-interrupted'];

async function committedSchema(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(repo, SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>;
}

describe('the published JSON Schemas', () => {
  it('are the ones the zod schemas generate (run `npm run schema` after changing a schema)', async () => {
    for (const [file, text] of Object.entries(buildJsonSchemas())) {
      const committed = await readFile(path.join(repo, SCHEMA_DIR, file), 'utf8').catch(() => `missing ${file}`);
      expect(committed, `${SCHEMA_DIR}/${file} is stale: run npm run schema`).toBe(text);
    }
  });

  it('accept every fixture run.json and the report.json of each, by a standard validator', async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validateRun = ajv.compile(await committedSchema('run.schema.json'));
    const validateReport = ajv.compile(await committedSchema('report.schema.json'));
    const runs = [];
    for (const name of FIXTURES) {
      const raw = JSON.parse(await readFile(path.join(fixtures, name, 'run.json'), 'utf8')) as unknown;
      expect(validateRun(raw), `${name}: ${JSON.stringify(validateRun.errors)}`).toBe(true);
      runs.push(await readRun(path.join(fixtures, name)));
    }
    for (const model of [buildReportModel([runs[0]!]), buildReportModel(runs)]) {
      const json = JSON.parse(JSON.stringify(model)) as unknown;
      expect(validateReport(json), JSON.stringify(validateReport.errors)).toBe(true);
    }
  });

  it('reject a report.json with a field the schema does not know, or without one it requires', async () => {
    const ajv = new Ajv2020({ strict: false });
    const validateReport = ajv.compile(await committedSchema('report.schema.json'));
    const model = JSON.parse(JSON.stringify(buildReportModel([await readRun(path.join(fixtures, 'synthetic-tiny'))])));
    expect(validateReport({ ...model, extra: 1 })).toBe(false);
    const { density: _dropped, ...withoutDensity } = model;
    expect(validateReport(withoutDensity)).toBe(false);
    // The zod schema is strict in the same way, so a model field added without the schema fails here.
    expect(reportModelSchema.safeParse(model).success).toBe(true);
    expect(reportModelSchema.safeParse({ ...model, runs: [{ ...model.runs[0], extra: 1 }] }).success).toBe(false);
  });
});
