// `isobench history`: the trend of medians over recorded runs as a table, JSON or a chart, and
// `--add <run-dir>` to record a run by hand.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { describeCase } from '../../report/compare-markdown.js';
import { chartFormatOf, renderTrendChart } from '../../report/history-chart.js';
import { formatValue } from '../../report/units.js';
import { appendRun, historyPath, openHistory, type TrendRow, trend } from '../../results/history.js';
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
}

export const DEFAULT_HISTORY_LIMIT = 20;

/**
 * Prints the trend table (RUN DATE COMMIT SCENARIO CASE TARGET METRIC MEDIAN N), oldest run first,
 * from <root>/history.sqlite; `--json` prints the rows with medians in base units.
 * @returns 0; bad flags throw InputError (exit 2).
 */
export async function historyCommand(ctx: CliContext, opts: HistoryCommandOptions = {}): Promise<number> {
  const limit = parseLimit(opts.limit);
  checkChoice('--metric', opts.metric, Object.keys(METRICS));
  checkChoice('--target', opts.target, TARGET_KINDS);
  if (opts.add !== undefined) await checkStateRoot(ctx.root, 'write');
  const chartFormat = opts.chart === undefined ? undefined : chartFormatOf(opts.chart);
  const file = historyPath(ctx.root);
  if (opts.add === undefined && !existsSync(file)) {
    ctx.stderr.write(`no runs recorded yet (${file} does not exist); \`isobench suite run\` records each run\n`);
    if (opts.json) ctx.stdout.write('[]\n');
    return 0;
  }
  const run = opts.add === undefined ? undefined : await readRun(opts.add);
  const db = openHistory(file);
  let rows: TrendRow[];
  try {
    if (run && opts.add !== undefined) {
      const { samples } = appendRun(db, run, path.resolve(opts.add));
      ctx.stderr.write(`recorded run ${run.runId} (${samples} samples) in ${file}\n`);
    }
    rows = trend(db, { scenario: opts.scenario, metric: opts.metric, target: opts.target, limit });
  } finally {
    db.close();
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
      .option('--json', 'print JSON'),
  stateRoot: 'read',
  run: historyCommand,
});
