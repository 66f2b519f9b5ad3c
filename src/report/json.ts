// report.json: the report model as computed (medians, CIs, ratios, grouping), for scripts that
// want the figures of report.md without parsing it.

import type { Exporter } from './exporter.js';

export const jsonExporter: Exporter = {
  fileName: 'report.json',
  render: async (report) => `${JSON.stringify(report, null, 2)}\n`,
};
