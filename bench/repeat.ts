// bench:repeat — run-to-run repeatability of the headline ratios (issue 8's "three runs of the
// default suite"). Runs the suite K times one after another, each into its own run directory,
// then reads every run's report.json answer rows and, for each (metric, case, point, ratio), prints
// the K ratios and their spread, max / min − 1. The goal is every headline ratio (the rows of the
// report's first-screen table) within 10 % run to run; the other answer rows are listed as context. A ratio missing from some run (a target skipped or cut short by its budget) is listed
// with the runs that have it and never counts as met. Records figures; asserts nothing. Usage:
//   npm run bench:repeat -- [--runs 3] [--scenario scenarios/default.yaml] [--out DIR]
//                          [--from DIR,DIR,...] [--goal 0.10] [--json]
// --from skips the runs and reads existing run directories. With --json the last line is one
// JSON object: {runs, goal, ratios: [{metric, case, point, ratio, headline, values, spread, met}],
// headlineMet} where headlineMet is true when every headline ratio met the goal.
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../src/errors.js';
import type { AnswerRatio, AnswerRow, ReportModel } from '../src/report/model.js';
import { reportModelSchema } from '../src/report/report-schema.js';
import {
  absolutePath,
  benchProgram,
  integerAtLeast,
  numberBetween,
  parseBenchOptions,
  pathListOf,
  runBench,
} from './lib/options.js';
import { round } from './lib/summary-ms.js';

interface Options {
  runs: number;
  scenario: string;
  out?: string;
  from: string[];
  goal: number;
  json: boolean;
}

const SCRIPT = 'bench:repeat';

function parseOptions(argv: string[]): Options {
  const program = benchProgram(SCRIPT, 'Run-to-run repeatability of the headline ratios over K default-suite runs.')
    .option('--runs <n>', 'suite runs, one after another', integerAtLeast(2), 3)
    .option('--scenario <file>', 'the scenario of each run', 'scenarios/default.yaml')
    .option('--out <dir>', 'where the run directories go (default: results/repeat-<time>)', absolutePath)
    .option('--from <dirs>', 'read these run directories instead of running (at least two)', pathListOf(2), [])
    .option('--goal <fraction>', 'the spread every headline ratio should stay within', numberBetween(0, 1), 0.1)
    .option('--json', 'print a JSON summary as the last line', false);
  return parseBenchOptions<Options>(program, argv);
}

/** One headline ratio across the runs. */
interface RatioAcrossRuns {
  metric: string;
  case: string;
  point: string;
  ratio: string;
  /** A row of the first screen's headline table. */
  headline: boolean;
  /** Indexed like the runs; null where that run has no such ratio. */
  values: Array<number | null>;
  /** max / min − 1 over the runs that have it; null unless every run has it. */
  spread: number | null;
  met: boolean;
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function runSuite(scenario: string, out: string): void {
  const result = spawnSync(path.join(projectRoot, 'bin', 'isobench'), ['suite', 'run', scenario, '--out', out], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // Exit 8 is "the suite ran but some series are incomplete": its report still counts.
  if (result.status !== 0 && result.status !== 8) {
    process.stderr.write(`bench:repeat: suite run into ${out} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}

async function readAnswer(runDir: string): Promise<ReportModel> {
  const file = path.join(runDir, 'report', 'report.json');
  const fix = { hint: `run 'isobench report ${runDir}' first (it rewrites report.json in this version's shape)` };
  const text = await fs.readFile(file, 'utf8').catch((error: Error) => {
    throw new InputError(`cannot read ${file} (${error.message})`, fix);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file} is not JSON (${(error as Error).message})`, fix);
  }
  const parsed = reportModelSchema.safeParse(json);
  if (!parsed.success) throw new InputError(`${file} is not a report.json of this isobench version`, fix);
  return parsed.data as ReportModel;
}

/** "vm/container", or "vm (minimal kernel)/container" for a vm kernel variant. */
function ratioName(ratio: AnswerRatio): string {
  if (ratio.variant === null) return ratio.key;
  const [top, bottom] = ratio.key.split('/');
  return `${top} (${ratio.variant} kernel)/${bottom}`;
}

function ratiosAcrossRuns(reports: ReportModel[], goal: number): RatioAcrossRuns[] {
  const byKey = new Map<string, RatioAcrossRuns>();
  const rowKey = (row: AnswerRow) => `${row.metric}\0${row.case}\0${row.pointLabel}`;
  const headlineRows = new Set(reports.flatMap((report) => report.headline.map(rowKey)));
  reports.forEach((report, runIndex) => {
    for (const row of report.answer) {
      const cell = row.cells.find((c) => c !== null);
      if (!cell) continue;
      for (const figure of cell.ratios) {
        const ratio = ratioName(figure);
        const key = `${rowKey(row)}\0${ratio}`;
        let entry = byKey.get(key);
        if (!entry) {
          entry = {
            metric: row.metric,
            case: row.case,
            point: row.pointLabel,
            ratio,
            headline: headlineRows.has(rowKey(row)),
            values: reports.map(() => null),
            spread: null,
            met: false,
          };
          byKey.set(key, entry);
        }
        entry.values[runIndex] = figure.ratio;
      }
    }
  });
  for (const entry of byKey.values()) {
    const present = entry.values.filter((v): v is number => v !== null);
    if (present.length !== reports.length) continue;
    entry.spread = Math.max(...present) / Math.min(...present) - 1;
    entry.met = entry.spread <= goal;
  }
  return [...byKey.values()];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  let runDirs = options.from;
  if (runDirs.length === 0) {
    const out =
      options.out ?? path.join(projectRoot, 'results', `repeat-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await fs.mkdir(out, { recursive: true });
    runDirs = [];
    for (let i = 1; i <= options.runs; i++) {
      const runDir = path.join(out, `run-${i}`);
      process.stderr.write(`bench:repeat: run ${i} of ${options.runs} into ${runDir}\n`);
      runSuite(options.scenario, runDir);
      runDirs.push(runDir);
    }
  }
  const reports = await Promise.all(runDirs.map(readAnswer));
  // Headline rows first, then the rest of the answer, each in the report's order.
  const ratios = ratiosAcrossRuns(reports, options.goal).sort((a, b) => Number(b.headline) - Number(a.headline));
  const lines = [
    `| headline | metric | case | point | ratio | ${runDirs.map((_, i) => `run ${i + 1}`).join(' | ')} | spread | goal ${Math.round(options.goal * 100)} % |`,
    `| --- | --- | --- | --- | --- | ${runDirs.map(() => '---').join(' | ')} | --- | --- |`,
    ...ratios.map(
      (r) =>
        `| ${r.headline ? 'yes' : ''} | ${r.metric} | ${r.case} | ${r.point || '–'} | ${r.ratio} | ${r.values.map((v) => (v === null ? 'absent' : round(v, 3))).join(' | ')} | ${r.spread === null ? 'not in every run' : `${round(r.spread * 100, 1)} %`} | ${r.met ? 'met' : 'missed'} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (options.json) {
    const summary = {
      runs: runDirs,
      goal: options.goal,
      ratios: ratios.map((r) => ({
        ...r,
        values: r.values.map((v) => (v === null ? null : round(v, 4))),
        spread: r.spread === null ? null : round(r.spread, 4),
      })),
      headlineMet: ratios.some((r) => r.headline) && ratios.filter((r) => r.headline).every((r) => r.met),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  }
}

runBench(SCRIPT, main);
