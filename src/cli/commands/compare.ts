// `isobench compare`: baseline run vs candidate run (or the last N runs from history vs the
// candidate), printed as Markdown, JSON or JUnit; exit 1 when anything regressed.

import { existsSync } from 'node:fs';
import { Option } from 'commander';
import { EXIT_ANSWER, InputError } from '../../errors.js';
import { compareRuns } from '../../report/compare.js';
import { formatCompareMarkdown } from '../../report/compare-markdown.js';
import { FAILING_VERDICTS } from '../../report/compare-types.js';
import { formatCompareJunit } from '../../report/junit.js';
import { readHistoryBaseline } from '../../results/history-baseline.js';
import { readRun } from '../../results/read-run.js';
import type { RunResult } from '../../suite/run-schema.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

/** The `baseline` argument that stands for "the history database" (with `--against history`). */
export const HISTORY_BASELINE = 'history';
/** Earlier runs read from history when --last is not given (a verdict needs 5: stats MIN_HISTORY_RUNS). */
export const DEFAULT_HISTORY_RUNS = 5;

const FORMATS = ['md', 'json', 'junit'] as const;
type CompareFormat = (typeof FORMATS)[number];

export interface CompareCommandOptions {
  /** Default threshold: "5%" or "0.05". */
  threshold?: string;
  format?: string;
  /** 'history': the last N runs of the candidate's scenarios on its host, each counted once by its median. */
  against?: string;
  /** N for --against history, default 5; ignored without it (the CLI always passes its default). */
  last?: string;
  /** Also write the formatted report to this file (atomically). */
  output?: string;
}

/**
 * Compares two runs (directories or run.json files) and prints the report.
 * With `--against history` the only run given is the candidate: either `baseline` is that run and
 * `candidate` undefined (`compare --against history RUN`), or `baseline` is HISTORY_BASELINE
 * ('history') and `candidate` the run (`compare history RUN --against history`). The baseline is then the last `--last` runs (default 5) of
 * each of the candidate's scenarios recorded on the same host, the candidate itself left out.
 * @returns 1 when a metric regressed or a candidate series failed, else 0 (bad input throws InputError -> 2).
 */
export async function compareCommand(
  ctx: CliContext,
  baseline: string,
  candidate: string | undefined,
  opts: CompareCommandOptions = {},
): Promise<number> {
  const format = parseFormat(opts.format);
  const thresholdRatio = opts.threshold === undefined ? undefined : parseThreshold(opts.threshold);
  if (opts.against !== undefined && opts.against !== 'history') {
    throw new InputError(`expected --against to be history, got ${opts.against}`, {
      hint: 'use --against history, or give a baseline run directory',
    });
  }
  if (opts.against === 'history') {
    const candidatePath = resolveHistoryCandidate(baseline, candidate);
    const candidateRun = await readRun(candidatePath);
    const baselineRuns = readHistoryBaseline(ctx.root, candidateRun, parseLast(opts.last));
    return writeReport(ctx, baselineRuns, candidateRun, format, thresholdRatio, opts.output);
  }
  if (baseline === HISTORY_BASELINE && !existsSync(baseline)) {
    throw new InputError("baseline 'history' needs --against history", {
      hint: 'isobench compare --against history <candidate-run>',
    });
  }
  if (candidate === undefined) {
    throw new InputError('expected a baseline and a candidate run, got one run', {
      hint: 'isobench compare <baseline-run> <candidate-run>, or isobench compare --against history <candidate-run>',
    });
  }
  const [baselineRun, candidateRun] = await Promise.all([readRun(baseline), readRun(candidate)]);
  return writeReport(ctx, baselineRun, candidateRun, format, thresholdRatio, opts.output);
}

/** `compare --against history RUN` and `compare history RUN --against history` both name RUN the candidate. */
function resolveHistoryCandidate(baseline: string, candidate: string | undefined): string {
  if (candidate === undefined) {
    if (baseline === HISTORY_BASELINE) {
      throw new InputError('expected a candidate run after history, got none', {
        hint: 'isobench compare --against history <candidate-run>',
      });
    }
    return baseline;
  }
  if (baseline !== HISTORY_BASELINE) {
    throw new InputError(`with --against history give only the candidate run, got a baseline too (${baseline})`, {
      hint: 'isobench compare --against history <candidate-run>',
    });
  }
  return candidate;
}

/**
 * Compares, prints (and writes) the report; 1 when anything failed. An array of baseline runs is
 * history (each run one unit, compareWithHistory), even of one run; a single run is two-run.
 */
async function writeReport(
  ctx: CliContext,
  baseline: RunResult | RunResult[],
  candidateRun: RunResult,
  format: CompareFormat,
  thresholdRatio: number | undefined,
  output: string | undefined,
): Promise<number> {
  const report = compareRuns(baseline, candidateRun, {
    ...(thresholdRatio === undefined ? {} : { thresholdRatio }),
  });
  const text =
    format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === 'junit'
        ? formatCompareJunit(report)
        : formatCompareMarkdown(report);
  if (output) await writeFileAtomic(output, text);
  ctx.stdout.write(text);
  // Markdown carries its warnings; JSON and JUnit readers may not show them, so say them on stderr too.
  if (format !== 'md') {
    for (const warning of report.warnings) ctx.stderr.write(`warning: ${warning}\n`);
  }
  return FAILING_VERDICTS.some((v) => report.counts[v] > 0) ? EXIT_ANSWER.no : EXIT_ANSWER.yes;
}

function parseFormat(format: string | undefined): CompareFormat {
  if (format === undefined) return 'md';
  if ((FORMATS as readonly string[]).includes(format)) return format as CompareFormat;
  throw new InputError(`expected --format to be one of ${FORMATS.join(', ')}, got ${format}`, {
    hint: 'e.g. --format junit for CI test reports',
  });
}

/**
 * "5%" -> 0.05, "0.05" -> 0.05. A bare number must be below 1, so "5" (5 or 500 %?) is refused.
 * @throws InputError naming the flag and the accepted forms.
 */
export function parseThreshold(text: string): number {
  const percent = /^([0-9]{1,3}(?:\.[0-9]{1,4})?)%$/.exec(text.trim());
  if (percent) return Number(percent[1]) / 100;
  if (/^(?:0(?:\.[0-9]{1,6})?|\.[0-9]{1,6})$/.test(text.trim())) return Number(text.trim());
  throw new InputError(`expected --threshold to be a percentage like 5% or a ratio below 1 like 0.05, got ${text}`, {
    hint: 'e.g. --threshold 5% (a change of the median smaller than this is not a regression)',
  });
}

function parseLast(text: string | undefined): number {
  if (text === undefined) return DEFAULT_HISTORY_RUNS;
  if (/^[0-9]{1,4}$/.test(text) && Number(text) >= 1) return Number(text);
  throw new InputError(`expected --last to be a whole number of runs from 1 to 9999, got ${text}`, {
    hint: `e.g. --last ${DEFAULT_HISTORY_RUNS}`,
  });
}

/** `isobench compare`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .argument('<baseline>', "baseline run directory or run.json, or 'history' with --against history")
      .argument('[candidate]', 'candidate run directory or run.json')
      .option('--threshold <pct>', 'relative change that counts, e.g. 5%', '5%')
      .addOption(new Option('--format <format>', 'output format').choices(['md', 'json', 'junit']).default('md'))
      .addOption(new Option('--against <source>', 'take the baseline from the history database').choices(['history']))
      .option('--last <n>', 'with --against history: how many past runs form the baseline (each counts once)', '5')
      .option('-o, --output <file>', 'write the comparison to a file too'),
  run: compareCommand,
});
