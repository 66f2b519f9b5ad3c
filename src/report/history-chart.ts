// Draws a trend chart (PNG or SVG) of history medians: one line per target (and case/point when
// several), runs along the x axis labelled by short commit or date, colour-blind-safe colours.
import { InputError } from '../errors.js';
import type { TrendRow } from '../results/history.js';
import type { ChartSpec } from './chart-specs.js';
import { createChartRenderer } from './charts.js';
import { INK_COLOUR, OKABE_ITO, TARGET_COLOURS } from './palette.js';
import { chooseScale, describeAxis } from './units.js';

export type ChartFormat = 'png' | 'svg';

const WIDTH_PX = 960;
const HEIGHT_PX = 540;

/** 'png' or 'svg' from a file name; InputError for any other extension. */
export function chartFormatOf(file: string): ChartFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.png')) return 'png';
  if (lower.endsWith('.svg')) return 'svg';
  throw new InputError(`expected the chart file to end in .png or .svg, got ${file}`, {
    hint: 'e.g. --chart trend.svg',
  });
}

/**
 * Renders the trend of one metric with the report's chart renderer.
 * @param rows - trend rows of exactly one metric (InputError otherwise), oldest run first.
 */
export async function renderTrendChart(rows: TrendRow[], format: ChartFormat): Promise<Buffer> {
  const spec = buildTrendChartSpec(rows);
  const renderer = createChartRenderer(WIDTH_PX, HEIGHT_PX);
  return format === 'svg' ? renderer.renderSvg(spec) : await renderer.renderPng(spec);
}

/**
 * The chart of the trend of one metric: one line per target (and case/point when several).
 * @param rows - trend rows of exactly one metric (InputError otherwise), oldest run first.
 */
export function buildTrendChartSpec(rows: TrendRow[]): ChartSpec {
  const metrics = [...new Set(rows.map((r) => r.metric))];
  if (metrics.length !== 1) {
    throw new InputError(
      `expected the chart to show one metric, got ${metrics.length === 0 ? 'no rows' : metrics.join(', ')}`,
      { hint: 'pick one with --metric, e.g. --metric startup.exit' },
    );
  }
  const runIds = [...new Set(rows.map((r) => r.runId))];
  const labels = runIds.map((id) => describeRunLabel(rows.find((r) => r.runId === id)!));
  const unit = rows[0]!.unit;
  const scale = chooseScale(unit, Math.max(...rows.map((r) => Math.abs(r.median))));
  const lines = groupLines(rows);
  const multiplePerTarget = new Set(lines.map((l) => l.target)).size < lines.length;
  // Each target keeps its report colour; extra lines take the colours no target uses.
  const targetColours: Record<string, string | undefined> = TARGET_COLOURS;
  const spare = OKABE_ITO.filter((c) => !Object.values(TARGET_COLOURS).includes(c));
  const datasets = lines.map((line, i) => {
    const colour = multiplePerTarget
      ? OKABE_ITO[i % OKABE_ITO.length]!
      : (targetColours[line.target] ?? spare[i % spare.length] ?? INK_COLOUR);
    const byRun = new Map(line.rows.map((r) => [r.runId, r.median / scale.divisor]));
    return {
      label: line.label,
      data: runIds.map((id) => byRun.get(id) ?? null),
      borderColor: colour,
      backgroundColor: colour,
      spanGaps: true,
      tension: 0,
    };
  });
  const title = describeTitle(rows, metrics[0]!, unit);
  return {
    name: 'trend',
    title,
    whiskers: false,
    config: {
      type: 'line',
      data: { labels, datasets },
      options: {
        animation: false,
        plugins: {
          title: { display: true, text: title },
          legend: { position: 'bottom' },
        },
        scales: {
          x: { title: { display: true, text: 'run (commit or date)' } },
          y: { title: { display: true, text: `median ${describeAxis(unit, scale)}` }, beginAtZero: true },
        },
      },
    },
  };
}

/** "startup.exit (ns) — scenario startup — vm under TCG". */
export function describeTitle(rows: TrendRow[], metric: string, unit: string): string {
  const scenarios = [...new Set(rows.map((r) => r.scenario))].join(', ');
  const accels = [...new Set(rows.filter((r) => r.target === 'vm').map((r) => r.accel ?? 'unknown'))];
  const vm = accels.length === 0 ? '' : ` — vm under ${accels.map((a) => a.toUpperCase()).join(' and ')}`;
  return `${metric} (${unit}) — scenario ${scenarios}${vm}`;
}

interface Line {
  target: string;
  label: string;
  rows: TrendRow[];
}

/** One line per target, split further by case, sweep point and accelerator when those vary. */
function groupLines(rows: TrendRow[]): Line[] {
  const lines = new Map<string, Line>();
  const cases = new Set(rows.map((r) => `${r.scenario}/${r.case}`)).size > 1;
  for (const row of rows) {
    const point = Object.entries(row.point)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const parts = [row.target + (row.accel ? ` (${row.accel.toUpperCase()})` : '')];
    if (cases) parts.push(row.case);
    if (point) parts.push(point);
    const label = parts.join(' ');
    const line = lines.get(label);
    if (line) line.rows.push(row);
    else lines.set(label, { target: row.target, label, rows: [row] });
  }
  return [...lines.values()];
}

/** Short commit (7 hex) when known, else the run's date (YYYY-MM-DD HH:MM). */
function describeRunLabel(row: TrendRow): string {
  return row.commit ? row.commit.slice(0, 7) : row.startedAt.slice(0, 16).replace('T', ' ');
}
