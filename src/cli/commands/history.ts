// `isobench history`: the trend of medians over recorded runs as a table, JSON or a chart,
// `--add <run-dir>` to record a run by hand, and `--copy-to <url>` to copy the history to another backend.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { describeCase } from '../../report/compare-markdown.js';
import { chartFormatOf, renderTrendChart } from '../../report/history-chart.js';
import { formatValue } from '../../report/units.js';
import { appendRun, openHistory, type TrendRow, trend } from '../../results/history.js';
import { type HistoryLocation, parseHistoryLocation, resolveHistoryLocation } from '../../results/history-location.js';
import { readRun } from '../../results/read-run.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { METRICS, TARGET_KINDS } from '../../vocabulary.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { checkStateRoot } from '../state-root.js';
import { formatTextTable } from '../text-table.js';

export interface HistoryCommandOptions {
  scenario?: string;
  metric?: string;
  target?: string;
  /** Newest N runs to show, default 20. */
  limit?: string;
  /** Write a PNG or SVG trend chart of one metric here. */
  chart?: string;
  json?: boolean;
  /** A run directory (or run.json) to record before querying. */
  add?: string;
  /** The history to use: a postgres:// URL or a SQLite path (default ISOBENCH_HISTORY_URL, else <root>/history.sqlite). */
  history?: string;
  /** Copy every run of the history into this one (another backend), then stop. */
  copyTo?: string;
}

export const DEFAULT_HISTORY_LIMIT = 20;

/**
 * Prints the trend table (RUN DATE COMMIT SCENARIO CASE TARGET METRIC MEDIAN N), oldest run first,
 * from the history (--history); `--json` prints the rows with medians in base units.
 * @returns 0; bad flags throw InputError (exit 2).
 */
export async function historyCommand(ctx: CliContext, opts: HistoryCommandOptions = {}): Promise<number> {
  const limit = parseLimit(opts.limit);
  checkChoice('--metric', opts.metric, Object.keys(METRICS));
  checkChoice('--target', opts.target, TARGET_KINDS);
  if (opts.add !== undefined) await checkStateRoot(ctx.root, 'write');
  const chartFormat = opts.chart === undefined ? undefined : chartFormatOf(opts.chart);
  const location = resolveHistoryLocation(ctx.root, opts.history);
  if (opts.copyTo !== undefined) return copyCommand(ctx, location, parseHistoryLocation(opts.copyTo, '--copy-to'));
  if (opts.add === undefined && location.kind === 'sqlite' && !existsSync(location.file)) {
    ctx.stderr.write(
      `no runs recorded yet (${location.file} does not exist); \`isobench suite run\` records each run\n`,
    );
    if (opts.json) ctx.stdout.write('[]\n');
    return 0;
  }
  const run = opts.add === undefined ? undefined : await readRun(opts.add);
  const db = await openHistory(location);
  let rows: TrendRow[];
  try {
    if (run && opts.add !== undefined) {
      const { samples, inserted } = await appendRun(db, run, path.resolve(opts.add));
      ctx.stderr.write(
        inserted
          ? `recorded run ${run.runId} (${samples} samples) in ${location.where}\n`
          : `run ${run.runId} is in ${location.where} already; left as it was\n`,
      );
    }
    rows = await trend(db, { scenario: opts.scenario, metric: opts.metric, target: opts.target, limit });
  } finally {
    await db.close();
  }
  if (opts.chart !== undefined && chartFormat) {
    await writeFileAtomic(opts.chart, await renderTrendChart(rows, chartFormat));
    ctx.stderr.write(`wrote ${opts.chart}\n`);
  }
  if (opts.json) {
    ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else if (rows.length === 0) {
    ctx.stderr.write('no recorded samples match\n');
  } else {
    ctx.stdout.write(`${formatTrendTable(rows)}\n`);
  }
  return 0;
}

/** `--copy-to`: every run of `from` that `to` lacks, row for row; prints what it did. */
async function copyCommand(ctx: CliContext, from: HistoryLocation, to: HistoryLocation): Promise<number> {
  if (
    from.kind === to.kind &&
    (from.kind === 'sqlite' ? from.file === (to as typeof from).file : from.where === to.where)
  ) {
    throw new InputError(`--copy-to names the history it would copy from (${to.where})`, {
      hint: 'name the source with --history and another history with --copy-to',
    });
  }
  if (from.kind === 'sqlite' && !existsSync(from.file)) {
    throw new InputError(`nothing to copy: ${from.file} does not exist`, {
      hint: 'name the history to copy from with --history (or ISOBENCH_HISTORY_URL)',
    });
  }
  const { copyHistory } = await import('../../results/history-copy.js');
  const result = await copyHistory(from, to);
  ctx.stderr.write(
    `copied ${result.copiedRuns} runs (${result.copiedSamples} samples) from ${from.where} to ${to.where}; ${result.presentRuns} were there already\n`,
  );
  return 0;
}

/** The trend as an aligned text table, one row per run x series x metric. */
export function formatTrendTable(rows: TrendRow[]): string {
  const table = [
    ['RUN', 'DATE', 'COMMIT', 'SCENARIO', 'CASE', 'TARGET', 'METRIC', 'MEDIAN', 'N'],
    ...rows.map((r) => [
      r.runId,
      r.startedAt.slice(0, 16).replace('T', ' '),
      r.commit ? r.commit.slice(0, 7) : '-',
      r.scenario,
      describeCase(r),
      r.accel ? `${r.target} (${r.accel})` : r.target,
      r.metric,
      formatValue(r.unit, r.median),
      String(r.n),
    ]),
  ];
  return formatTextTable(table);
}

/** A name that can never match a recorded sample is a typo: say so, with the names that can. */
function checkChoice(flag: string, value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value)) {
    throw new InputError(`expected ${flag} to be one of ${allowed.join(', ')}, got '${value}'`);
  }
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_HISTORY_LIMIT;
  if (/^[0-9]{1,5}$/.test(text) && Number(text) >= 1) return Number(text);
  throw new InputError(`expected --limit to be a whole number of runs from 1 to 99999, got ${text}`, {
    hint: `e.g. --limit ${DEFAULT_HISTORY_LIMIT}`,
  });
}

/** `isobench history`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .option('--scenario <name>')
      .option('--metric <name>')
      .option('--target <kind>')
      .option('--limit <n>', 'runs to show', '20')
      .option('--chart <file>', 'write a PNG or SVG trend chart')
      .option('--add <run>', 'append a run directory to the history')
      .option('--history <url>', 'the history: postgres://… or a SQLite file; env ISOBENCH_HISTORY_URL')
      .option('--copy-to <url>', 'copy every run of the history to another one (postgres://… or a SQLite file)')
      .option('--json', 'print JSON'),
  stateRoot: 'read',
  run: historyCommand,
});
