import { describe, expect, it } from 'vitest';
import { parseHyperfineTimesNs } from '../../bench/lib/hyperfine.js';

const exportOf = (times: unknown[], exitCodes?: unknown[]) =>
  JSON.stringify({ results: [{ command: 'x', mean: 0.1, times, ...(exitCodes ? { exit_codes: exitCodes } : {}) }] });

describe('parseHyperfineTimesNs', () => {
  it('converts the per-run seconds of the first result to ns', () => {
    expect(parseHyperfineTimesNs(exportOf([0.5, 0.001, 0], [0, 0, 0]), 3)).toEqual([5e8, 1e6, 0]);
  });

  it('rejects a count that differs from the runs asked for', () => {
    expect(() => parseHyperfineTimesNs(exportOf([0.1, 0.2]), 3)).toThrow(/reported 2 times, expected 3/);
  });

  it('rejects a run that exited non-zero', () => {
    expect(() => parseHyperfineTimesNs(exportOf([0.1, 0.2], [0, 1]), 2)).toThrow(/run 2 exited 1/);
  });

  it('rejects text that is not hyperfine JSON, and times that are not numbers', () => {
    expect(() => parseHyperfineTimesNs('not json', 1)).toThrow(/does not parse/);
    expect(() => parseHyperfineTimesNs('{"results":[]}', 1)).toThrow(/no results\[0\]\.times/);
    expect(() => parseHyperfineTimesNs(exportOf(['0.1']), 1)).toThrow(/not a non-negative number/);
    expect(() => parseHyperfineTimesNs(exportOf([-1]), 1)).toThrow(/not a non-negative number/);
  });
});
