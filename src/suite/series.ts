// Turns the iterations of one (case, point, target) into a results Series: raw samples per
// metric in iteration order, their summaries, and the derived cpu.relative_to_native.

import { median, summarize } from '../stats/index.js';
import { METRICS, type MetricName } from '../vocabulary.js';
import type { Iteration, Series } from './run-schema.js';

/** Rebuilds `series.metrics` from its recorded (non-warm-up, ok) iterations. */
export function summarizeSeries(series: Series): void {
  const byMetric = new Map<string, number[]>();
  for (const iteration of series.iterations) {
    if (iteration.warmup || !iteration.ok) continue;
    for (const [metric, value] of Object.entries(iteration.values)) {
      const list = byMetric.get(metric) ?? [];
      list.push(value);
      byMetric.set(metric, list);
    }
  }
  series.metrics = {};
  for (const [metric, samples] of byMetric) {
    const info = METRICS[metric as MetricName];
    series.metrics[metric] = {
      unit: info?.unit ?? 'ns',
      higherIsWorse: info?.higherIsWorse ?? true,
      samples,
      summary: samples.length > 0 ? summarize(samples) : undefined,
    };
  }
}

/** Recorded iterations that succeeded. */
export function okCount(iterations: readonly Iteration[]): number {
  return iterations.filter((it) => !it.warmup && it.ok).length;
}

/**
 * Adds cpu.relative_to_native to every series of one case point: each cpu.time sample divided
 * by the native median at the same point (absent when native did not run or failed).
 */
export function deriveRelativeToNative(pointSeries: Series[]): void {
  const native = pointSeries.find((s) => s.target === 'native')?.metrics['cpu.time'];
  if (!native || native.samples.length === 0) return;
  const base = median(native.samples);
  if (!(base > 0)) return;
  for (const series of pointSeries) {
    const cpu = series.metrics['cpu.time'];
    if (!cpu || cpu.samples.length === 0) continue;
    const samples = cpu.samples.map((ns) => ns / base);
    series.metrics['cpu.relative_to_native'] = {
      unit: 'ratio',
      higherIsWorse: true,
      samples,
      summary: summarize(samples),
    };
  }
}
