// The one interface every report format implements: it formats a ReportModel, it never measures
// or computes statistics (that is model.ts).

import type { ReportModel } from './model.js';

/** Writes one file of a report. */
export interface Exporter {
  /** Path relative to the report directory, e.g. "report.md" or "charts/startup-default-startup.png". */
  readonly fileName: string;
  /** Renders the file's bytes (or UTF-8 text). Pure of the model: same model, same output. */
  render(report: ReportModel): Promise<Buffer | string>;
}
