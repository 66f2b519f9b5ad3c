// Shared by the benchmarks: ns samples summarized in ms, rounded for printing.
import { computeRatioCi, summarize } from '../../src/stats/index.js';

/** ns (number or bigint) to ms. */
export const ms = (ns: bigint | number): number => Number(ns) / 1e6;

/** Rounds to `digits` decimals for tables and JSON. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A CI as [low, high], or the reason there is none ("n too small for a 95 % interval"). */
export type RoundedCi = [number, number] | string;

/** "1.2–1.5", or the reason there is no interval. */
export function formatCi(ci: RoundedCi): string {
  return typeof ci === 'string' ? ci : `${ci[0]}–${ci[1]}`;
}

/** n, median, p95, min, max, sd, MAD and the order-statistics 95 % CI of the median, in ms. */
export function summarizeMs(samplesNs: number[]) {
  const s = summarize(samplesNs.map(ms));
  return {
    n: s.n,
    medianMs: round(s.median),
    p95Ms: round(s.p95),
    minMs: round(s.min),
    maxMs: round(s.max),
    stddevMs: round(s.stddev),
    madMs: round(s.mad),
    ciMs: (s.ci.state === 'interval' ? [round(s.ci.low), round(s.ci.high)] : s.ci.reason) as RoundedCi,
  };
}

/** The 95 % CI of the ratio of a's location over b's (Hodges–Lehmann on log values), rounded. */
export function ratioCiOf(a: number[], b: number[], digits: number): RoundedCi {
  const ci = computeRatioCi(a, b);
  return ci.state === 'interval' ? [round(ci.low, digits), round(ci.high, digits)] : ci.reason;
}
