import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, readChartJsBundle, renderHtml } from '../../src/report/html.js';
import { buildReportModel } from '../../src/report/model.js';
import { readRun } from '../../src/results/read-run.js';
import type { RunResult } from '../../src/suite/run-schema.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/runs');
const HOSTILE = '<script>alert(1)</script>';
let html: string;

beforeAll(async () => {
  const run = await readRun(path.join(fixtures, 'synthetic-full-tcg'));
  const hostile: RunResult = {
    ...run,
    environment: { ...run.environment, hostname: HOSTILE },
    series: run.series.map((series) =>
      series.target === 'podman' ? { ...series, reason: `</script><img src=x onerror=alert(2)>` } : series,
    ),
  };
  html = renderHtml(buildReportModel([hostile]), await readChartJsBundle());
});

describe('report.html', () => {
  it('escapes a hostile hostname and reason everywhere', () => {
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    // Inside the chart JSON the hostname is \u003c-escaped, so it cannot close the script element.
    expect(html).toContain('\\u003cscript>alert(1)\\u003c/script>');
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  it('loads nothing from the network: no src/href attributes, a CSP that forbids fetching', () => {
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)\s*=/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).toContain(`content="default-src 'none';`);
  });

  it('inlines Chart.js and a chart script that parses, with the data as JSON', () => {
    expect(html).toContain('Chart.js v4');
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    expect(() => new Function(scripts[1]!)).not.toThrow();
    const json = html.match(/<script type="application\/json" id="isobench-charts">([\s\S]*?)<\/script>/)![1]!;
    const charts = JSON.parse(json) as Array<{ name: string; title: string }>;
    expect(charts.map((c) => c.name)).toContain('startup-default-startup');
    for (const chart of charts) expect(html).toContain(`id="chart-${chart.name}"`);
  });

  it('shows the answer with TCG next to every VM figure', () => {
    const answer = html.slice(html.indexOf('<h2>All medians and ratios</h2>'), html.indexOf('<h2>Charts</h2>'));
    const vmCells = [...answer.matchAll(/<tr><td>[^<]*<\/td><td>[^<]*<\/td><td>(vm [^<]*)<\/td><td>([^<]*)<\/td>/g)];
    expect(vmCells.length).toBeGreaterThan(10);
    for (const [, , value] of vmCells) expect(value).toMatch(/\(TCG\)$/);
  });
});
