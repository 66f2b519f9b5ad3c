// JSON Schemas of the files isobench writes for other programs, generated from the zod schemas
// that validate them: run.json (suite/run-schema.ts) and report.json (report-schema.ts). The
// committed copies in docs/schema/ are written by `npm run schema`; a test fails when they differ.

import { z } from 'zod';
import { RESULT_SCHEMA_VERSION, runResultSchema } from '../suite/run-schema.js';
import { reportModelSchema } from './report-schema.js';

/** Where the committed schemas live, relative to the repository root. */
export const SCHEMA_DIR = 'docs/schema';

function describe(schema: z.ZodType, title: string, description: string): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', reused: 'ref' }) as Record<
    string,
    unknown
  >;
  const { $schema, ...rest } = generated;
  return { $schema, title, description, ...rest };
}

/** File name -> JSON text (2-space indent, final newline) of every published schema. */
export function buildJsonSchemas(): Record<string, string> {
  const schemas = {
    'run.schema.json': describe(
      runResultSchema,
      `isobench run.json, schemaVersion ${RESULT_SCHEMA_VERSION}`,
      'One suite run: environment fingerprint, scenarios as run, every iteration and per-metric samples in base units (ns, bytes, bytes_per_s, ratio).',
    ),
    'report.schema.json': describe(
      reportModelSchema,
      'isobench report.json',
      'The report model: runs, medians and ratios with their CIs, series, density slopes, the Method definitions and each run conditions, in base units.',
    ),
  };
  return Object.fromEntries(
    Object.entries(schemas).map(([file, schema]) => [file, `${JSON.stringify(schema, null, 2)}\n`]),
  );
}
