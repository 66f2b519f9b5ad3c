import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/report/compare.js';
import { describeHeadline, formatCompareMarkdown } from '../../src/report/compare-markdown.js';
import { makeRun } from '../fixtures/compare/make-run.js';

const MS = 1e6;
const MIB = 1024 * 1024;

/** Baseline and candidate with one regression, one unchanged metric, a refused VM series and an added one. */
function makeReport() {
  const baseline = makeRun({
    runId: 'run-base',
    seed: 11,
    commit: '1111111aaaaaaa',
    startedAt: '2025-01-14T09:00:00.000Z',
    series: [
      { target: 'container', metrics: { 'startup.exit': 30 * MS, 'startup.ready': 25 * MS } },
      { target: 'vm', accel: 'kvm', metrics: { 'startup.exit': 300 * MS } },
      {
        case: 'dense',
        target: 'native',
        point: { instances: 4, memory: 256 * MIB },
        metrics: { 'memory.pss': 3 * MIB },
      },
    ],
  });
  const candidate = makeRun({
    runId: 'run-cand',
    seed: 12,
    commit: '2222222bbbbbbb',
    startedAt: '2025-01-15T09:00:00.000Z',
    series: [
      { target: 'container', metrics: { 'startup.exit': 36 * MS, 'startup.ready': 25 * MS } },
      { target: 'vm', accel: 'tcg', metrics: { 'startup.exit': 2900 * MS } },
      {
        case: 'dense',
        target: 'native',
        point: { memory: 256 * MIB, instances: 4 },
        metrics: { 'memory.pss': 3 * MIB },
      },
      { target: 'crun', metrics: { 'startup.exit': 31 * MS } },
    ],
  });
  return compareRuns(baseline, candidate);
}

describe('formatCompareMarkdown', () => {
  it('renders the verdict header, method, warnings and one table per scenario', () => {
    expect(formatCompareMarkdown(makeReport())).toMatchInlineSnapshot(`
      "## isobench compare: ❌ 1 regression, 2 unchanged, 1 refused, 1 added

      Baseline: run run-base (commit 1111111, started 2025-01-14T09:00:00.000Z)  
      Candidate: run run-cand (commit 2222222, started 2025-01-15T09:00:00.000Z)  
      Method: Mann–Whitney U test (two-sided, alpha = 0.05) plus a 95% CI of the ratio candidate / baseline (Hodges–Lehmann on log values, assuming a change scales every value alike); a regression needs p < alpha, a CI that excludes no change, and a change of the median beyond the threshold.  
      Threshold: 5% unless the scenario sets one for the metric.

      > ⚠️ warning: 1 metric(s) refused: baseline and candidate differ in accelerator or unit  

      ### Scenario \`startup\`

      | metric | target | case | baseline | candidate | change (CI) | p | threshold | verdict |
      | --- | --- | --- | --- | --- | --- | --- | --- | --- |
      | startup.exit | container | hello | 29.3 ms | 36.2 ms | +23.4% (+18.2% to +25.8%) | 1.5e-11 | 5% (default) | ❌ regression |
      | startup.ready | container | hello | 25.0 ms | 25.5 ms | +1.8% (-2.1% to +4.6%) | 0.58 | 5% (default) | ✅ unchanged |
      | startup.exit | vm (KVM vs TCG) | hello | — | — | — | — | 5% (default) | ⚠️ refused |
      | memory.pss | native | dense (memory=256 MiB, instances=4) | 3.03 MiB | 3.03 MiB | -0.2% (-3.4% to +3.7%) | 0.95 | 5% (default) | ✅ unchanged |
      | startup.exit | crun | hello | — | 30.4 ms | — | — | 5% (default) | ➕ added |

      **Why:**

      - ❌ regression startup/hello/container startup.exit: median +23.4% (95% CI +18.2% to +25.8%), p = 1.5e-11 < 0.05: a significant change beyond the 5.0% threshold
      - ⚠️ refused startup/hello/vm startup.exit: baseline ran under KVM, candidate under TCG: figures of different accelerators are never compared
      "
    `);
  });

  it("shows each row's threshold and where it came from, and says why a row is inconclusive", () => {
    const definition = { name: 'startup', thresholds: { 'startup.exit': '10%' } };
    const history = [1, 2].map((seed) =>
      makeRun({
        runId: `h${seed}`,
        seed,
        series: [{ metrics: { 'startup.exit': 30 * MS, 'startup.ready': 25 * MS } }],
      }),
    );
    const candidate = makeRun({
      runId: 'cand',
      seed: 3,
      definition,
      series: [{ metrics: { 'startup.exit': 30 * MS, 'startup.ready': 25 * MS } }],
    });
    const text = formatCompareMarkdown(compareRuns(history, candidate), { emoji: false });
    expect(text).toContain('Baseline: 2 earlier runs, each counted once by its median (h1, h2; commits abcdef0)');
    expect(text).toContain('| change (run-to-run range) | p | threshold | verdict |');
    expect(text).toMatch(/\| startup\.exit \| container \| hello \|[^\n]*\| 10% \(scenario\) \| inconclusive \|/);
    expect(text).toMatch(/\| startup\.ready \| container \| hello \|[^\n]*\| 5% \(default\) \| inconclusive \|/);
    expect(text).toContain(
      '- inconclusive startup/hello/container startup.exit: 2 earlier runs; a verdict needs at least 5, each run counting once by its median',
    );
  });

  it('prints plain words without emoji when asked, and escapes table-breaking names', () => {
    const report = makeReport();
    const text = formatCompareMarkdown(report, { emoji: false });
    expect(text).not.toMatch(/✅|⚠️|❌|➕|➖/u);
    expect(describeHeadline(report, false)).toBe('isobench compare: 1 regression, 2 unchanged, 1 refused, 1 added');
    const hostile = { ...report, rows: [{ ...report.rows[0]!, case: 'a|b\n<script>' }] };
    expect(formatCompareMarkdown(hostile)).toContain('| a\\|b &lt;script> |');
  });
});
