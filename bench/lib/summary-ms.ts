// Shared by the benchmarks: ns samples summarized in ms, rounded for printing.
import { summarize } from '../../src/stats/index.js';

/** ns (number or bigint) to ms. */
export const ms = (ns: bigint | number): number => Number(ns) / 1e6;

/** Rounds to `digits` decimals for tables and JSON. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** n, median, p95, min, max, sd, MAD and the bootstrap 95 % CI of the median, in ms (seeded). */
export function summarizeMs(samplesNs: number[]) {
  const s = summarize(samplesNs.map(ms), { seed: 1 });
  return {
    n: s.n,
    medianMs: round(s.median),
    p95Ms: round(s.p95),
    minMs: round(s.min),
    maxMs: round(s.max),
    stddevMs: round(s.stddev),
    madMs: round(s.mad),
    ciMs: [round(s.ci.low), round(s.ci.high)],
  };
}
