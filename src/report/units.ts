// Turns base units (ns, bytes, bytes/s, ratio) into human text and chart scales. The only place
// in isobench that formats a measured figure.

import type { MetricUnit } from '../vocabulary.js';

/** A display unit: divide a base-unit value by `divisor` and append `symbol`. */
export interface DisplayScale {
  symbol: string;
  divisor: number;
}

const TIME_SCALES: DisplayScale[] = [
  { symbol: 'ns', divisor: 1 },
  { symbol: 'µs', divisor: 1e3 },
  { symbol: 'ms', divisor: 1e6 },
  { symbol: 's', divisor: 1e9 },
];
// Memory and disk sizes are binary (what the kernel and du report).
const SIZE_SCALES: DisplayScale[] = [
  { symbol: 'B', divisor: 1 },
  { symbol: 'KiB', divisor: 1024 },
  { symbol: 'MiB', divisor: 1024 ** 2 },
  { symbol: 'GiB', divisor: 1024 ** 3 },
];
// Throughput is decimal, as fio and dd report it.
const RATE_SCALES: DisplayScale[] = [
  { symbol: 'B/s', divisor: 1 },
  { symbol: 'kB/s', divisor: 1e3 },
  { symbol: 'MB/s', divisor: 1e6 },
  { symbol: 'GB/s', divisor: 1e9 },
];
// Operation rates (requests, I/Os, events per second), decimal like the load generators print them.
const OPS_SCALES: DisplayScale[] = [
  { symbol: '/s', divisor: 1 },
  { symbol: 'k/s', divisor: 1e3 },
  { symbol: 'M/s', divisor: 1e6 },
];
const RATIO_SCALE: DisplayScale = { symbol: '×', divisor: 1 };

function scalesOf(unit: MetricUnit | string): DisplayScale[] {
  switch (unit) {
    case 'ns':
      return TIME_SCALES;
    case 'bytes':
      return SIZE_SCALES;
    case 'bytes_per_s':
      return RATE_SCALES;
    case 'per_s':
      return OPS_SCALES;
    default:
      return [RATIO_SCALE];
  }
}

/**
 * The largest scale of `unit` whose divisor does not exceed |magnitude|, e.g. ms for 12_300_000 ns.
 * @param magnitude - a value in the base unit; 0 or non-finite picks the base scale.
 */
export function chooseScale(unit: MetricUnit | string, magnitude: number): DisplayScale {
  const scales = scalesOf(unit);
  const size = Math.abs(magnitude);
  let chosen = 0;
  scales.forEach((scale, i) => {
    if (Number.isFinite(size) && size >= scale.divisor) chosen = i;
  });
  // 1015 KiB reads better as 0.99 MiB: move up once the figure would show four digits.
  const next = scales[chosen + 1];
  if (next && size / scales[chosen]!.divisor >= 999.5) chosen += 1;
  return scales[chosen]!;
}

/** Three significant digits, without exponent notation and without trailing zeros after rounding. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toString();
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs === 0) return '0';
  return value.toPrecision(3);
}

/** Formats a value in a fixed scale, e.g. formatInScale(12_300_000, ms) = "12.3 ms". */
export function formatInScale(value: number, scale: DisplayScale): string {
  const text = formatNumber(value / scale.divisor);
  return scale.symbol === '×' ? `${text}×` : `${text} ${scale.symbol}`;
}

/**
 * Formats a base-unit value for people: ns -> ns/µs/ms/s, bytes -> B/KiB/MiB/GiB, bytes_per_s ->
 * kB/s, MB/s, GB/s, per_s -> /s, k/s, M/s, ratio -> "1.52×". Three significant digits.
 */
export function formatValue(unit: MetricUnit | string, value: number): string {
  return formatInScale(value, chooseScale(unit, value));
}

/** Formats a low–high interval in the scale of its midpoint, e.g. "11.9–12.8 ms". */
export function formatInterval(unit: MetricUnit | string, low: number, high: number): string {
  const scale = chooseScale(unit, (low + high) / 2);
  const lowText = formatNumber(low / scale.divisor);
  const highText = formatInScale(high, scale);
  return `${lowText}–${highText}`;
}

/** Formats a ratio with its CI: "1.52× [1.41–1.63]"; "1.52×" without a CI. */
export function formatRatio(ratio: number, ci?: { low: number; high: number } | null): string {
  const text = `${formatNumber(ratio)}×`;
  return ci ? `${text} [${formatNumber(ci.low)}–${formatNumber(ci.high)}]` : text;
}

/** The axis title of a metric unit in a chosen scale, e.g. "time (ms)". */
export function describeAxis(unit: MetricUnit | string, scale: DisplayScale): string {
  switch (unit) {
    case 'ns':
      return `time (${scale.symbol})`;
    case 'bytes':
      return `size (${scale.symbol})`;
    case 'bytes_per_s':
      return `throughput (${scale.symbol})`;
    case 'per_s':
      return `rate (${scale.symbol})`;
    default:
      return 'ratio (×)';
  }
}
