// Writes a whole report directory atomically: every exporter renders into a temp dir beside the
// destination, which is then renamed into place, so a failure never leaves half a report.

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConflictError } from '../errors.js';
import type { RunResult } from '../suite/run-schema.js';
import { fsyncDir } from '../util/atomic.js';
import { type ChartRenderer, createChartRenderer, listChartExporters } from './charts.js';
import { samplesCsvExporter, summaryCsvExporter } from './csv.js';
import type { Exporter } from './exporter.js';
import { htmlExporter } from './html.js';
import { hyperfineExporter } from './hyperfine.js';
import { jsonExporter } from './json.js';
import { markdownExporter } from './markdown.js';
import { buildReportModel, type ReportModel } from './model.js';

/** Written into every report directory; only a directory holding it may be replaced. */
export const REPORT_MARKER = '.isobench-report';

/** Every exporter of a report: documents, tables, then a PNG and an SVG per chart. */
export function listExporters(report: ReportModel, renderer?: ChartRenderer): Exporter[] {
  return [
    markdownExporter,
    htmlExporter,
    summaryCsvExporter,
    samplesCsvExporter,
    jsonExporter,
    hyperfineExporter,
    ...listChartExporters(report, renderer ?? createChartRenderer()),
  ];
}

/** Throws ConflictError unless `outDir` is absent, empty, or a report isobench wrote. */
async function checkReplaceable(outDir: string): Promise<boolean> {
  const entries = await fs.readdir(outDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    if (error.code === 'ENOTDIR') {
      throw new ConflictError(`${outDir} exists and is not a directory`, { hint: 'give another --out directory' });
    }
    throw error;
  });
  if (entries === undefined) return false;
  if (entries.length > 0 && !entries.includes(REPORT_MARKER)) {
    throw new ConflictError(`${outDir} is not empty and is not an isobench report: refusing to replace it`, {
      hint: 'give a new or empty --out directory, or one a previous `isobench report` wrote',
    });
  }
  return true;
}

async function writeInto(dir: string, exporters: readonly Exporter[], report: ReportModel): Promise<void> {
  for (const exporter of exporters) {
    const file = path.join(dir, exporter.fileName);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, await exporter.render(report), { flag: 'wx' });
  }
  await fs.writeFile(path.join(dir, REPORT_MARKER), 'isobench report directory: replaced whole by `isobench report`\n');
}

/**
 * Builds the report of `runs` and writes it to `outDir` (created, or replaced when it holds an
 * earlier report): report.md, report.html, summary.csv, samples.csv, report.json,
 * startup-hyperfine.json, charts/*.png|svg.
 * @param runs - validated runs (readRun), at least one.
 * @returns absolute paths of the files written, in exporter order.
 * @throws ConflictError when outDir exists, is not empty, and is not an isobench report.
 */
export async function writeReport(runs: RunResult[], outDir: string): Promise<{ files: string[] }> {
  const target = path.resolve(outDir);
  const report = buildReportModel(runs);
  const exporters = listExporters(report);
  const replace = await checkReplaceable(target);
  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  const suffix = randomBytes(6).toString('hex');
  const staging = path.join(parent, `.${path.basename(target)}.${suffix}.tmp`);
  const retired = path.join(parent, `.${path.basename(target)}.${suffix}.old`);
  await fs.mkdir(staging);
  try {
    await writeInto(staging, exporters, report);
    // A directory cannot be renamed over a non-empty one: move the old report aside first.
    if (replace) await fs.rename(target, retired);
    try {
      await fs.rename(staging, target);
    } catch (error) {
      if (replace) await fs.rename(retired, target).catch(() => undefined);
      throw error;
    }
    await fsyncDir(parent);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
    await fs.rm(retired, { recursive: true, force: true });
  }
  return { files: exporters.map((exporter) => path.join(target, exporter.fileName)) };
}
