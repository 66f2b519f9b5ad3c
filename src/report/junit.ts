// Renders a CompareReport as JUnit XML for CI test reporters: one <testsuite> per scenario, one
// <testcase> per series x metric. regression/failed -> <failure>, inconclusive/refused/removed ->
// <skipped>, the rest pass; every case carries its figures in <system-out>.

import { describeCase, describeChange, describeThreshold, formatP } from './compare-markdown.js';
import type { CompareMode, CompareReport, CompareRow } from './compare-types.js';
import { formatValue } from './units.js';

/** The report as a JUnit XML document (UTF-8, ending with a newline). */
export function formatCompareJunit(report: CompareReport): string {
  const scenarios = [...new Set(report.rows.map((r) => r.scenario))];
  const suites = scenarios.map((scenario) =>
    formatSuite(
      report.mode,
      scenario,
      report.rows.filter((r) => r.scenario === scenario),
    ),
  );
  const all = countOutcomes(report.rows);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="isobench compare" tests="${report.rows.length}" failures="${all.failures}" errors="0" skipped="${all.skipped}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function formatSuite(mode: CompareMode, scenario: string, rows: CompareRow[]): string {
  const { failures, skipped } = countOutcomes(rows);
  const head = `  <testsuite name="${escapeXml(scenario)}" tests="${rows.length}" failures="${failures}" errors="0" skipped="${skipped}">`;
  return [head, ...rows.map((row) => formatCase(mode, row)), '  </testsuite>'].join('\n');
}

function formatCase(mode: CompareMode, row: CompareRow): string {
  const name = `${row.target} ${row.metric}${row.accel.candidate ? ` (${row.accel.candidate})` : ''}`;
  const classname = `isobench.${row.scenario}.${describeCase(row)}`;
  const open = `    <testcase classname="${escapeXml(classname)}" name="${escapeXml(name)}">`;
  const body: string[] = [];
  const message = escapeXml(`${row.verdict}: ${row.reason}`);
  if (row.verdict === 'regression' || row.verdict === 'failed') {
    body.push(
      `      <failure message="${message}" type="${row.verdict}">${escapeXml(describeFigures(mode, row))}</failure>`,
    );
  } else if (row.verdict === 'inconclusive' || row.verdict === 'refused' || row.verdict === 'removed') {
    body.push(`      <skipped message="${message}"/>`);
  }
  body.push(
    `      <system-out>${escapeXml(`${describeFigures(mode, row)}\n${row.verdict}: ${row.reason}`)}</system-out>`,
  );
  return [open, ...body, '    </testcase>'].join('\n');
}

/**
 * "baseline 2.91 s (n=20), candidate 3.50 s (n=20), change +20.3% (+15.1% to +25.0%), p = 1.2e-6,
 * threshold 5% (default)"; against history the baseline counts runs ("K=5 runs").
 */
function describeFigures(mode: CompareMode, row: CompareRow): string {
  const side = (median: number | null, n: string) =>
    median === null ? '—' : `${formatValue(row.unit, median)} (${n})`;
  const baselineCount = mode === 'history' ? `K=${row.baselineRuns} runs` : `n=${row.baselineN}`;
  const p = row.pValue === null ? '—' : formatP(row.pValue);
  return `baseline ${side(row.baselineMedian, baselineCount)}, candidate ${side(row.candidateMedian, `n=${row.candidateN}`)}, change ${describeChange(row)}, p = ${p}, threshold ${describeThreshold(row)}`;
}

function countOutcomes(rows: CompareRow[]): { failures: number; skipped: number } {
  let failures = 0;
  let skipped = 0;
  for (const row of rows) {
    if (row.verdict === 'regression' || row.verdict === 'failed') failures += 1;
    else if (row.verdict === 'inconclusive' || row.verdict === 'refused' || row.verdict === 'removed') skipped += 1;
  }
  return { failures, skipped };
}

/**
 * Escapes text for XML attributes and content, and drops characters XML 1.0 cannot hold at all
 * (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF): names come from hostile run files.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
