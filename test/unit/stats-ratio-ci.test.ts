import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { chooseShiftCiRanks, computeRatioCi, createRandom, type Random } from '../../src/stats/index.js';
import { countUDistribution } from '../../src/stats/mann-whitney.js';
import { selectPairDifference } from '../../src/stats/pair-differences.js';

// k and coverages checked by enumerating every split of m + n ranks (itertools.combinations) in Python.
describe('chooseShiftCiRanks', () => {
  it('has no 95 % interval where the exact test cannot reach 5 %: 3 vs 3, 3 vs 4, 2 vs 7', () => {
    expect(chooseShiftCiRanks(3, 3, 0.95)).toBeNull();
    expect(chooseShiftCiRanks(3, 4, 0.95)).toBeNull();
    expect(chooseShiftCiRanks(2, 7, 0.95)).toBeNull();
  });

  it('chooses the exact k and coverage at several sizes', () => {
    const cases: Array<[number, number, number, number]> = [
      [3, 5, 1, 0.9642857142857143],
      [4, 4, 1, 0.9714285714285714],
      [2, 8, 1, 0.9555555555555556],
      [5, 5, 3, 0.9682539682539683],
      [6, 6, 6, 0.9588744588744589],
      [4, 7, 4, 0.9575757575757575],
      [10, 10, 24, 0.9567429474550218],
    ];
    for (const [m, n, k, coverage] of cases) {
      const ranks = chooseShiftCiRanks(m, n, 0.95)!;
      expect([m, n, ranks.k, ranks.exact]).toEqual([m, n, k, true]);
      expect(ranks.coverage).toBeCloseTo(coverage, 12);
      // Symmetric in the two sizes.
      expect(chooseShiftCiRanks(n, m, 0.95)).toEqual(ranks);
    }
  });

  it('beyond exact sizes, the normal approximation picks the exact k or its neighbour', () => {
    for (const [m, n] of [
      [50, 50],
      [60, 60],
      [50, 70],
    ] as const) {
      const approximate = chooseShiftCiRanks(m, n, 0.95)!;
      expect(approximate.exact).toBe(false);
      const counts = countUDistribution(m, n);
      const total = counts.reduce((s, c) => s + c, 0);
      let below = 0;
      let k = 0;
      while (below + counts[k]! / total <= 0.025) below += counts[k++]! / total;
      expect(Math.abs(approximate.k - k)).toBeLessThanOrEqual(1);
      expect(approximate.coverage).toBeGreaterThanOrEqual(0.95);
      expect(approximate.coverage).toBeLessThan(0.955);
    }
  });
});

/** Every ratio a_i / b_j, sorted: the brute-force reference for the order statistics. */
function allRatios(a: readonly number[], b: readonly number[]): number[] {
  return a.flatMap((x) => b.map((y) => x / y)).sort((p, q) => p - q);
}

describe('computeRatioCi', () => {
  it('at 4 vs 4 (k = 1) gives [min a / max b, max a / min b]', () => {
    const ci = computeRatioCi([20, 22, 24, 26], [10, 11, 12, 13]);
    expect(ci).toMatchObject({ state: 'interval', method: 'hodges-lehmann-log', exact: true, level: 0.95 });
    if (ci.state !== 'interval') throw new Error('expected an interval');
    expect(ci.low).toBe(20 / 13);
    expect(ci.high).toBe(26 / 10);
    expect(ci.coverage).toBeCloseTo(0.9714285714285714, 12);
  });

  it('gives the k-th and (m n + 1 - k)-th of the pairwise ratios, as a brute-force sort does', () => {
    const random = createRandom(17);
    for (const [m, n] of [
      [5, 5],
      [6, 9],
      [10, 10],
      [30, 30],
    ] as const) {
      const a = Array.from({ length: m }, () => 30 * Math.exp(0.2 * random.nextNormal()));
      const b = Array.from({ length: n }, () => 20 * Math.exp(0.2 * random.nextNormal()));
      const { k } = chooseShiftCiRanks(m, n, 0.95)!;
      const ratios = allRatios(a, b);
      const ci = computeRatioCi(a, b);
      if (ci.state !== 'interval') throw new Error('expected an interval');
      expect(ci.low).toBe(ratios[k - 1]);
      expect(ci.high).toBe(ratios[m * n - k]);
    }
  });

  it("says 'n too small for a 95 % interval' at 3 vs 3, with the smallest p the test can reach", () => {
    expect(computeRatioCi([22, 20, 24], [10, 12, 11])).toEqual({
      state: 'n-too-small',
      method: 'hodges-lehmann-log',
      level: 0.95,
      reason: 'n too small for a 95 % interval',
      detail: 'the exact Mann–Whitney test of 3 against 3 samples cannot reach 5 % (smallest two-sided p = 0.10)',
    });
  });

  it("says 'not-positive' for a value <= 0 on either side, naming it", () => {
    expect(computeRatioCi([1, 2, 3, 4], [1, 0, 3, 4])).toEqual({
      state: 'not-positive',
      method: 'hodges-lehmann-log',
      level: 0.95,
      reason: 'no ratio CI on a log scale',
      detail: 'the denominator holds 0 at index 1; every value must be > 0',
    });
    expect(computeRatioCi([1, 2, -3, 4], [1, 2, 3, 4])).toMatchObject({ state: 'not-positive' });
  });

  it('is a point for two constant samples', () => {
    expect(computeRatioCi([30, 30, 30, 30], [10, 10, 10, 10])).toMatchObject({ low: 3, high: 3 });
  });

  it('rejects bad input, naming expected and got', () => {
    expect(() => computeRatioCi([], [1])).toThrow(InputError);
    expect(() => computeRatioCi([1], [Number.NaN])).toThrow(
      'expected denominator samples to be finite numbers, got NaN at index 0',
    );
    expect(() => computeRatioCi([1, 2, 3, 4], [1, 2, 3, 4], 0)).toThrow(
      'expected the confidence level to be in (0, 1), got 0',
    );
  });
});

describe('selectPairDifference', () => {
  it('matches a full sort of every difference, for every k, with ties and mixed magnitudes', () => {
    const random = createRandom(3);
    for (const [m, n] of [
      [1, 1],
      [1, 7],
      [7, 3],
      [12, 15],
    ] as const) {
      // Rounded values make tied differences; a wide range makes the bisection work over magnitudes.
      const draw = () => Math.round(random.nextNormal() * 4) * 10 ** random.nextIndex(4);
      const xs = Float64Array.from({ length: m }, draw).sort();
      const ys = Float64Array.from({ length: n }, draw).sort();
      const all = Array.from(xs)
        .flatMap((x) => Array.from(ys).map((y) => x - y))
        .sort((p, q) => p - q);
      for (let k = 1; k <= m * n; k++) {
        const pair = selectPairDifference(xs, ys, k);
        expect(pair.value).toBe(all[k - 1]);
        expect(xs[pair.i]! - ys[pair.j]!).toBe(pair.value);
      }
    }
  });
});

/** Half-width that an honest coverage estimate from `trials` data sets leaves only by 4.5 sd (p ~ 7e-6). */
function tolerance(coverage: number, trials: number): number {
  return 4.5 * Math.sqrt((coverage * (1 - coverage)) / trials);
}

// Scale families, so the model holds: the numerator is theta = 1.5 times a draw like the denominator's.
const THETA = 1.5;
const FAMILIES: Array<{ name: string; draw: (random: Random) => number }> = [
  { name: 'normal(100, 15)', draw: (random) => 100 + 15 * random.nextNormal() },
  { name: 'lognormal(ln 100, 0.5)', draw: (random) => 100 * Math.exp(0.5 * random.nextNormal()) },
];

describe('computeRatioCi coverage of theta (simulation, fixed seed)', () => {
  // 3000 data sets per case: the band is about +/- 0.017 around the exact coverage.
  const TRIALS = 3000;
  for (const n of [6, 10, 30]) {
    FAMILIES.forEach((family, index) => {
      it(`covers theta as the exact test says at m = n = ${n}, ${family.name}`, () => {
        const random = createRandom(2000 + 100 * index + n);
        const expected = chooseShiftCiRanks(n, n, 0.95)!.coverage;
        let covered = 0;
        for (let trial = 0; trial < TRIALS; trial++) {
          const denominator = Array.from({ length: n }, () => family.draw(random));
          const numerator = Array.from({ length: n }, () => THETA * family.draw(random));
          const ci = computeRatioCi(numerator, denominator);
          if (ci.state === 'interval' && ci.low <= THETA && THETA <= ci.high) covered++;
        }
        const observed = covered / TRIALS;
        expect(Math.abs(observed - expected)).toBeLessThanOrEqual(tolerance(expected, TRIALS));
        expect(observed).toBeGreaterThanOrEqual(0.95 - tolerance(0.95, TRIALS));
      });
    });
  }
});
