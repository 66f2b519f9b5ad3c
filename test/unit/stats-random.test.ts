import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { createRandom } from '../../src/stats/index.js';

function takeFloats(seed: number, count: number): number[] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => random.nextFloat());
}

describe('createRandom (mulberry32)', () => {
  it('repeats the same stream for the same seed and a different one for another seed', () => {
    expect(takeFloats(42, 100)).toEqual(takeFloats(42, 100));
    expect(takeFloats(42, 5)).not.toEqual(takeFloats(43, 5));
  });

  it('keeps the reference mulberry32 stream (changing it would change every stored CI)', () => {
    // First outputs of mulberry32 seeded with 0, times 2^32.
    const scaled = takeFloats(0, 3).map((x) => x * 2 ** 32);
    expect(scaled).toEqual([1144304738, 1416247, 958946056]);
  });

  it('draws floats in [0, 1) and indices in [0, n)', () => {
    const random = createRandom(1);
    for (let i = 0; i < 10_000; i++) {
      const x = random.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
      const k = random.nextIndex(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
  });

  it('draws normals with mean near 0 and sd near 1 over 20000 draws', () => {
    const random = createRandom(3);
    const xs = Array.from({ length: 20_000 }, () => random.nextNormal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
    // Standard error of the mean is 0.007; these bounds are 4 standard errors wide.
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.02);
  });

  it('rejects a seed that is not an integer', () => {
    expect(() => createRandom(1.5)).toThrow(InputError);
    expect(() => createRandom(Number.NaN)).toThrow('expected the seed to be an integer, got NaN');
  });
});
