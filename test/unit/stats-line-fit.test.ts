import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { fitLine, readCostSlope } from '../../src/stats/index.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('fitLine', () => {
  it('recovers slope and intercept of exact data, with R² 1 and a zero-width CI', () => {
    // 468 KiB per instance over a 4 KiB harness baseline, at N = 1, 4, 16, 64.
    const ns = [1, 4, 16, 64];
    const fit = fitLine(
      ns,
      ns.map((n) => 4 * KiB + 468 * KiB * n),
    );
    expect(fit.n).toBe(4);
    expect(fit.slope).toBeCloseTo(468 * KiB, 8);
    expect(fit.intercept).toBeCloseTo(4 * KiB, 6);
    expect(fit.rSquared).toBeCloseTo(1, 14);
    expect(fit.slopeStandardError).toBeLessThan(1e-9);
    expect(fit.slopeCi).toMatchObject({ state: 'interval', method: 'student-t', level: 0.95, coverage: 0.95 });
    if (fit.slopeCi.state !== 'interval') throw new Error('expected an interval');
    expect(fit.slopeCi.low).toBeCloseTo(468 * KiB, 6);
    expect(fit.slopeCi.high).toBeCloseTo(468 * KiB, 6);
  });

  it('gives the values of scipy.stats.linregress and t.ppf(0.975, 6) on noisy data', () => {
    const ns = [1, 4, 16, 64, 1, 4, 16, 64];
    const bytes = [52.1e6, 53.5e6, 60.2e6, 82.9e6, 51.8e6, 54.1e6, 59.6e6, 83.6e6];
    const fit = fitLine(ns, bytes);
    expect(fit.slope).toBeCloseTo(493386.0111208663, 6);
    expect(fit.intercept).toBeCloseTo(51740547.26368159, 4);
    expect(fit.slopeStandardError).toBeCloseTo(5632.918888891378, 6);
    expect(fit.rSquared).toBeCloseTo(0.9992185430340184, 12);
    expect(fit.slopeCi).toMatchObject({
      state: 'interval',
      low: expect.closeTo(479602.7551350996, 5),
      high: expect.closeTo(507169.267106633, 5),
    });
  });

  it('has no slope CI through 2 points, and says why', () => {
    const fit = fitLine([1, 3], [10, 16]);
    expect(fit.slope).toBe(3);
    expect(fit.intercept).toBe(7);
    expect(fit.slopeCi).toEqual({
      state: 'n-too-small',
      method: 'student-t',
      level: 0.95,
      reason: 'n too small for a 95 % interval',
      detail: 'a line through 2 points leaves no degrees of freedom for its error',
    });
  });

  it('gives R² 1 for a constant y (slope 0, nothing left to explain)', () => {
    expect(fitLine([1, 2, 3], [5, 5, 5])).toMatchObject({ slope: 0, intercept: 5, rSquared: 1 });
  });

  it('rejects bad input, naming expected and got', () => {
    expect(() => fitLine([1], [1])).toThrow('expected at least 2 points for a line, got 1');
    expect(() => fitLine([1, 2], [1])).toThrow('expected as many x as y values, got 2 and 1');
    expect(() => fitLine([4, 4, 4], [1, 2, 3])).toThrow('expected at least two different x values, got only 4');
    expect(() => fitLine([1, 2], [1, Number.NaN])).toThrow('expected finite numbers, got NaN as y at index 1');
    expect(() => fitLine([1, 2, 3], [1, 2, 3], 1.5)).toThrow(InputError);
  });
});

describe('readCostSlope', () => {
  it('reads a CI above 0 as a cost', () => {
    const fit = fitLine([1, 4, 16, 64, 1, 4, 16, 64], [52.1e6, 53.5e6, 60.2e6, 82.9e6, 51.8e6, 54.1e6, 59.6e6, 83.6e6]);
    expect(readCostSlope(fit)).toMatchObject({ state: 'cost', slope: fit.slope, level: 0.95 });
  });

  it('reads a CI that includes 0 as below the noise floor (± the larger CI end), never a negative cost', () => {
    // scipy: slope 58.5, 95 % CI [-56638.6, 56755.7] bytes per instance.
    const fit = fitLine([1, 4, 16, 64], [100.0e6, 99.5e6, 100.8e6, 99.9e6]);
    const reading = readCostSlope(fit);
    expect(reading).toEqual({
      state: 'below-noise-floor',
      noiseFloor: expect.closeTo(56755.6559170954, 4),
      level: 0.95,
    });
    // The same sweep with a falling slope inside the noise is no different.
    const falling = readCostSlope(fitLine([1, 4, 16, 64], [100.0e6, 99.9e6, 100.8e6, 99.5e6]));
    expect(falling.state).toBe('below-noise-floor');
    const numbers = Object.values(falling).filter((value) => typeof value === 'number');
    expect(numbers.every((value) => value >= 0)).toBe(true);
  });

  it('reads a CI below 0 as an artefact, with the reason', () => {
    const reading = readCostSlope(fitLine([1, 4, 16, 64], [100 * MiB, 99 * MiB, 95 * MiB, 79 * MiB]));
    expect(reading).toMatchObject({
      state: 'implausible-negative',
      reason:
        'the cost fell as instances were added, which no per-instance cost does: a measurement artefact (the baseline moved during the sweep)',
    });
  });

  it('has no reading without a CI', () => {
    expect(readCostSlope(fitLine([1, 2], [5, 9]))).toEqual({
      state: 'n-too-small',
      reason: 'n too small for a 95 % interval',
      detail: 'a line through 2 points leaves no degrees of freedom for its error',
    });
  });
});
