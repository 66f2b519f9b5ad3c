// `isobench report RUN_DIR... [--out DIR]`: reads runs and writes report.md, report.html, CSVs and charts.

import path from 'node:path';
import { InputError } from '../../errors.js';
import { writeReport } from '../../report/write-report.js';
import { readRun } from '../../results/read-run.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

/**
 * Writes the report of one or more runs (merged: a column per run) and prints the files written.
 * @param runDirs - run directories (or run.json paths), at least one.
 * @param opts.out - report directory; default `<first run dir>/report`.
 * @returns 0; typed errors (missing, corrupt or foreign run.json) propagate to main's exit codes.
 */
export async function reportCommand(ctx: CliContext, runDirs: string[], opts: { out?: string } = {}): Promise<number> {
  if (runDirs.length === 0) {
    throw new InputError('expected at least one run directory, got none', {
      hint: 'e.g. isobench report results/<run-id>',
    });
  }
  const runs = [];
  for (const dir of runDirs) runs.push(await readRun(dir));
  const first = runDirs[0]!;
  const firstDir = first.endsWith('.json') ? path.dirname(first) : first;
  const outDir = opts.out ?? path.join(firstDir, 'report');
  const { files } = await writeReport(runs, outDir);
  for (const run of runs) {
    if (run.status !== 'complete') {
      ctx.stderr.write(`warning: run ${run.runId} is ${run.status}, not complete: its figures may be missing\n`);
    }
  }
  ctx.stdout.write(`${files.join('\n')}\n`);
  return 0;
}

/** `isobench report`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .argument('<runs...>', 'run directories or run.json files')
      .option('--out <dir>', 'report directory (default: <first run>/report)'),
  run: reportCommand,
});
