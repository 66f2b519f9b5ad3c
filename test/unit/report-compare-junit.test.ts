import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/report/compare.js';
import { escapeXml, formatCompareJunit } from '../../src/report/junit.js';
import { makeRun } from '../fixtures/compare/make-run.js';

const MS = 1e6;

/**
 * A strict little well-formedness check (no XML parser is a dependency): one prolog, every tag
 * balanced and properly nested, attributes quoted, no raw '<' or bare '&' in text or values.
 * Returns the problem, or null.
 */
function checkWellFormed(xml: string): string | null {
  if (!xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')) return 'no XML declaration';
  const body = xml.slice(xml.indexOf('\n') + 1);
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let roots = 0;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while (consumed < body.length) {
    token.lastIndex = consumed;
    match = token.exec(body);
    if (!match) return `cannot parse at ${JSON.stringify(body.slice(consumed, consumed + 40))}`;
    consumed = token.lastIndex;
    const [, closing, name, attrs, selfClosing, text] = match;
    const checked = text ?? attrs ?? '';
    if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(checked)) return `bare & in ${JSON.stringify(checked)}`;
    if (text !== undefined) {
      if (stack.length === 0 && text.trim() !== '') return `text outside the root: ${text}`;
      continue;
    }
    if (closing) {
      if (stack.pop() !== name) return `unbalanced </${name}>`;
    } else if (!selfClosing) {
      if (stack.length === 0) roots += 1;
      stack.push(name!);
    } else if (stack.length === 0) {
      roots += 1;
    }
  }
  if (stack.length > 0) return `unclosed <${stack.join('><')}>`;
  return roots === 1 ? null : `${roots} root elements`;
}

describe('formatCompareJunit', () => {
  it('writes well-formed XML: one testsuite per scenario, a <failure> for the regression', () => {
    const baseline = makeRun({
      runId: 'a',
      seed: 1,
      series: [
        { target: 'container', metrics: { 'startup.exit': 30 * MS } },
        { scenario: 'memory', target: 'native', metrics: { 'memory.pss': 3e6 } },
      ],
    });
    const candidateSeries = [
      { target: 'container' as const, metrics: { 'startup.exit': 36 * MS } },
      { scenario: 'memory', target: 'native' as const, metrics: { 'memory.pss': 3e6 } },
    ];
    const fullCandidate = makeRun({ runId: 'c', seed: 2, series: candidateSeries });
    const candidate = makeRun({ runId: 'b', seed: 2, n: 4, series: candidateSeries });
    const xml = formatCompareJunit(compareRuns(baseline, fullCandidate));
    expect(checkWellFormed(xml)).toBeNull();
    expect(xml).toMatch(/<testsuites name="isobench compare" tests="2" failures="1" errors="0" skipped="[01]">/);
    expect(xml).toContain('<testsuite name="startup" tests="1" failures="1" errors="0" skipped="0">');
    expect(xml).toMatch(/<testsuite name="memory" tests="1" failures="0" errors="0" skipped="[01]">/);
    expect(xml).toMatch(
      /<testcase classname="isobench\.startup\.hello" name="container startup\.exit">\n {6}<failure message="regression: median \+\d+\.\d% .* &lt; 0\.05: a significant change beyond the 5\.0% threshold" type="regression">baseline /,
    );

    // Four candidate samples are too few: inconclusive, reported as skipped.
    const fewer = formatCompareJunit(compareRuns(baseline, candidate));
    expect(checkWellFormed(fewer)).toBeNull();
    expect(fewer).toContain('<testsuites name="isobench compare" tests="2" failures="0" errors="0" skipped="2">');
    expect(fewer).toContain(
      '<skipped message="inconclusive: too few samples (baseline 20, candidate 4); need at least 5 on each side"/>',
    );
  });

  it('escapes hostile names and drops characters XML cannot hold', () => {
    const run = makeRun({ runId: 'a', seed: 1, series: [{ metrics: { 'startup.exit': MS } }] });
    const report = compareRuns(run, { ...run, runId: 'b' });
    const hostile = {
      ...report,
      rows: [{ ...report.rows[0]!, scenario: "x\"><evil a='1'>&", case: 'c\u0000\u0007d' }],
    };
    const xml = formatCompareJunit(hostile);
    expect(checkWellFormed(xml)).toBeNull();
    expect(xml).toContain('<testsuite name="x&quot;&gt;&lt;evil a=&apos;1&apos;&gt;&amp;"');
    expect(xml).toContain('classname="isobench.x&quot;&gt;&lt;evil a=&apos;1&apos;&gt;&amp;.cd"');
    expect(escapeXml('a\nb\uD800c\uFFFE')).toBe('a&#10;bc');
  });

  it('the checker itself rejects broken XML', () => {
    const head = '<?xml version="1.0" encoding="UTF-8"?>\n';
    expect(checkWellFormed(`${head}<a><b></a></b>`)).toBe('unbalanced </a>');
    expect(checkWellFormed(`${head}<a>x & y</a>`)).toMatch(/bare &/);
    expect(checkWellFormed(`${head}<a x=1></a>`)).not.toBeNull();
    expect(checkWellFormed(`${head}<a>`)).toBe('unclosed <a>');
  });
});
