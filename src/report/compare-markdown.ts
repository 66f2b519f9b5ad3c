// Renders a CompareReport as Markdown for a CI log and GitHub's step summary: a verdict header,
// the method, warnings, one table per scenario in human units (each row with the threshold that
// applied to it), and why each row that is not a plain pass or fail got its verdict.
import {
  type CompareReport,
  type CompareRow,
  FAILING_VERDICTS,
  ROW_VERDICTS,
  type RowVerdict,
  type RunRef,
} from './compare-types.js';
import { formatValue } from './units.js';

export interface CompareMarkdownOptions {
  /** Prefix verdicts with ✅/⚠️/❌ (default true); false prints words only. */
  emoji?: boolean;
}

const VERDICT_EMOJI: Record<RowVerdict, string> = {
  regression: '❌',
  failed: '❌',
  improvement: '✅',
  unchanged: '✅',
  inconclusive: '⚠️',
  refused: '⚠️',
  added: '➕',
  removed: '➖',
};

/** The whole report as Markdown, ending with a newline. Deterministic for a given report. */
export function formatCompareMarkdown(report: CompareReport, options: CompareMarkdownOptions = {}): string {
  const emoji = options.emoji ?? true;
  const lines: string[] = [`## ${describeHeadline(report, emoji)}`, ''];
  lines.push(`Baseline: ${describeBaseline(report)}  `);
  lines.push(`Candidate: ${describeRun(report.candidate)}  `);
  lines.push(`Method: ${report.method}.  `);
  lines.push(`Threshold: ${formatPercent(report.thresholdRatio, false)} unless the scenario sets one for the metric.`);
  if (report.warnings.length > 0) {
    lines.push('');
    for (const warning of report.warnings) lines.push(`> ${emoji ? '⚠️ ' : ''}warning: ${escapeText(warning)}  `);
  }
  for (const scenario of [...new Set(report.rows.map((r) => r.scenario))]) {
    lines.push('', `### Scenario \`${scenario}\``, '');
    const interval = report.mode === 'history' ? 'change (run-to-run range)' : 'change (CI)';
    lines.push(`| metric | target | case | baseline | candidate | ${interval} | p | threshold | verdict |`);
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const row of report.rows.filter((r) => r.scenario === scenario)) lines.push(formatRow(row, emoji));
  }
  // Pass and fail explain themselves in the table; every other verdict says why here.
  const notable = report.rows.filter(
    (r) => FAILING_VERDICTS.includes(r.verdict) || r.verdict === 'refused' || r.verdict === 'inconclusive',
  );
  if (notable.length > 0) {
    lines.push('', '**Why:**', '');
    for (const row of notable) {
      lines.push(
        `- ${describeVerdict(row.verdict, emoji)} ${escapeText(describeSeries(row))}: ${escapeText(row.reason)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** "isobench compare: ❌ 1 regression, 12 unchanged, 1 inconclusive". */
export function describeHeadline(report: CompareReport, emoji = true): string {
  const parts = ROW_VERDICTS.filter((v) => report.counts[v] > 0).map((v) => `${report.counts[v]} ${v}`);
  const failing = FAILING_VERDICTS.some((v) => report.counts[v] > 0);
  const doubtful = report.counts.inconclusive + report.counts.refused > 0;
  const mark = failing ? '❌' : doubtful ? '⚠️' : '✅';
  return `isobench compare: ${emoji ? `${mark} ` : ''}${parts.join(', ') || 'no series'}`;
}

function formatRow(row: CompareRow, emoji: boolean): string {
  const cells = [
    row.metric,
    row.accel.candidate || row.accel.baseline ? `${row.target} (${describeAccels(row)})` : row.target,
    describeCase(row),
    row.baselineMedian === null ? '—' : formatValue(row.unit, row.baselineMedian),
    row.candidateMedian === null ? '—' : formatValue(row.unit, row.candidateMedian),
    describeChange(row),
    row.pValue === null ? '—' : formatP(row.pValue),
    describeThreshold(row),
    describeVerdict(row.verdict, emoji),
  ];
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

function describeAccels(row: CompareRow): string {
  const { baseline, candidate } = row.accel;
  if (baseline && candidate && baseline !== candidate) return `${baseline.toUpperCase()} vs ${candidate.toUpperCase()}`;
  return (candidate ?? baseline ?? '').toUpperCase();
}

/** "hello" or "density (instances=4, memory=256 MiB)". */
export function describeCase(row: Pick<CompareRow, 'case' | 'point'>): string {
  const entries = Object.entries(row.point);
  if (entries.length === 0) return row.case;
  const point = entries
    .map(
      ([key, value]) => `${key}=${key === 'memory' && typeof value === 'number' ? formatValue('bytes', value) : value}`,
    )
    .join(', ');
  return `${row.case} (${point})`;
}

/** "startup/hello/vm startup.exit" with the sweep point, for sentences and test case names. */
export function describeSeries(row: CompareRow): string {
  return `${row.scenario}/${describeCase(row)}/${row.target} ${row.metric}`;
}

/** "5% (scenario)": the threshold that applied to the row and where it came from. */
export function describeThreshold(row: Pick<CompareRow, 'thresholdRatio' | 'thresholdSource'>): string {
  return `${formatPercent(row.thresholdRatio, false)} (${row.thresholdSource})`;
}

/**
 * "+23.4% (+18.2% to +25.8%)": the change with its CI (two runs), or with the range one more run's
 * median falls in without change (history), both relative to the baseline median.
 */
export function describeChange(row: CompareRow): string {
  if (row.change === null) return '—';
  if (row.changeCi)
    return `${formatPercent(row.change)} (${formatPercent(row.changeCi.low)} to ${formatPercent(row.changeCi.high)})`;
  const range = row.predictionInterval;
  if (range && row.baselineMedian) {
    const low = range.low / row.baselineMedian - 1;
    const high = range.high / row.baselineMedian - 1;
    return `${formatPercent(row.change)} (${formatPercent(low)} to ${formatPercent(high)})`;
  }
  return formatPercent(row.change);
}

function describeVerdict(verdict: RowVerdict, emoji: boolean): string {
  return emoji ? `${VERDICT_EMOJI[verdict]} ${verdict}` : verdict;
}

function describeBaseline(report: CompareReport): string {
  const runs = report.baseline;
  if (report.mode === 'two-runs') return describeRun(runs[0]!);
  const commits = [...new Set(runs.map((r) => (r.commit ? r.commit.slice(0, 7) : 'no commit')))];
  const count = `${runs.length} earlier run${runs.length === 1 ? '' : 's'}`;
  return `${count}, each counted once by its median (${runs.map((r) => r.runId).join(', ')}; commits ${commits.join(', ')})`;
}

function describeRun(run: RunRef): string {
  const commit = run.commit ? `commit ${run.commit.slice(0, 7)}, ` : '';
  return `run ${run.runId} (${commit}started ${run.startedAt})`;
}

/** +12.3% with a sign; `signed` false prints 5% for thresholds. */
export function formatPercent(ratio: number, signed = true): string {
  if (!signed) return `${Number((Math.abs(ratio) * 100).toFixed(1))}%`;
  return `${ratio < 0 ? '-' : '+'}${(Math.abs(ratio) * 100).toFixed(1)}%`;
}

/** Two significant digits; exponent notation below 1e-4. */
export function formatP(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toPrecision(2);
}

// Names come from run files (hostile input): no table breaks, no HTML, no newlines.
function escapeCell(text: string): string {
  return escapeText(text).replace(/\|/g, '\\|');
}

// Only a '<' that could open a tag is escaped, so "p < 0.05" stays readable in a raw CI log.
function escapeText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/<(?=[A-Za-z/!?])/g, '&lt;');
}
