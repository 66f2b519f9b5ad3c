import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { normalQuantile, normalUpperTail, studentTQuantile } from '../../src/stats/index.js';

describe('studentTQuantile', () => {
  it('gives the quantiles of scipy.stats.t.ppf to 1e-12 relative', () => {
    const cases: Array<[number, number, number]> = [
      [0.975, 1, 12.706204736174694],
      [0.975, 2, 4.302652729749462],
      [0.975, 3, 3.1824463052837078],
      [0.975, 4, 2.7764451051977934],
      [0.975, 5, 2.5705818356363146],
      [0.975, 10, 2.228138851986274],
      [0.975, 30, 2.0422724563012378],
      [0.995, 7, 3.4994832973504924],
      [0.9, 100, 1.290074761346516],
      [0.6, 3, 0.2766706623326898],
      [0.975, 1000, 1.9623390808264083],
    ];
    for (const [p, df, expected] of cases) {
      expect(Math.abs(studentTQuantile(p, df) / expected - 1), `p ${p}, df ${df}`).toBeLessThan(1e-12);
    }
  });

  it('is antisymmetric around p = 0.5 and 0 there', () => {
    expect(studentTQuantile(0.5, 4)).toBe(0);
    expect(studentTQuantile(0.025, 4)).toBe(-studentTQuantile(0.975, 4));
  });

  it('rejects a probability outside (0, 1) and degrees of freedom that are not positive integers', () => {
    expect(() => studentTQuantile(1, 3)).toThrow('expected a probability in (0, 1), got 1');
    expect(() => studentTQuantile(0.9, 0)).toThrow('expected the degrees of freedom to be a positive integer, got 0');
    expect(() => studentTQuantile(0.9, 2.5)).toThrow(InputError);
  });
});

describe('normalQuantile', () => {
  it('inverts normalUpperTail and gives scipy.stats.norm.ppf values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 11);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    for (const z of [-3, -1, 0.5, 2]) expect(normalQuantile(normalUpperTail(-z))).toBeCloseTo(z, 11);
    expect(() => normalQuantile(0)).toThrow('expected a probability in (0, 1), got 0');
  });
});
