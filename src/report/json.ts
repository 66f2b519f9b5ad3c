// report.json: the report model as computed (medians, CIs, ratios, grouping, density, Method), for
// scripts that want the figures of report.md without parsing it. Its schema is report-schema.ts,
// published as docs/schema/report.schema.json.

import type { z } from 'zod';
import type { Exporter } from './exporter.js';
import type { ReportModel } from './model.js';
import type { reportModelSchema } from './report-schema.js';

/** What report.json holds: the type the published schema describes. */
export type ReportJson = z.infer<typeof reportModelSchema>;

/** The model as report.json holds it: typed against the published schema (a test parses real models, which catches fields the schema lacks). */
export function toReportJson(report: ReportModel): ReportJson {
  return report;
}

export const jsonExporter: Exporter = {
  fileName: 'report.json',
  render: async (report) => `${JSON.stringify(toReportJson(report), null, 2)}\n`,
};
