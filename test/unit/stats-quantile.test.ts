import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { median, quantile, quantileSorted } from '../../src/stats/index.js';

// Type 7: h = (n - 1) p; x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]) on the sorted samples.
describe('quantile (type 7, linear between closest ranks)', () => {
  it('gives 9.55 as the p95 of 1..10: h = 9 * 0.95 = 8.55, so 9 + 0.55 * (10 - 9)', () => {
    const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;
    expect(quantile(oneToTen, 0.95)).toBeCloseTo(9.55, 12);
  });

  it('matches R quantile(c(3,1,4,1,5,9,2,6), c(0, .25, .5, .95, 1)) = 1, 1.75, 3.5, 7.95, 9', () => {
    const xs = [3, 1, 4, 1, 5, 9, 2, 6] as const;
    expect(quantile(xs, 0)).toBe(1);
    expect(quantile(xs, 0.25)).toBe(1.75);
    expect(quantile(xs, 0.5)).toBe(3.5);
    expect(quantile(xs, 0.95)).toBeCloseTo(7.95, 12);
    expect(quantile(xs, 1)).toBe(9);
  });

  it('takes the middle value for odd n and the mean of the two middle values for even n', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('does not reorder its input and sorts numerically, not as strings', () => {
    const xs = [10, 9, 100, 1];
    expect(median(xs)).toBe(9.5);
    expect(xs).toEqual([10, 9, 100, 1]);
  });

  it('rejects a probability outside [0, 1] and an empty array', () => {
    expect(() => quantileSorted([1, 2], 1.5)).toThrow(InputError);
    expect(() => quantileSorted([1, 2], Number.NaN)).toThrow(/expected a quantile probability in \[0, 1\], got NaN/);
    expect(() => quantileSorted([], 0.5)).toThrow(InputError);
  });
});
