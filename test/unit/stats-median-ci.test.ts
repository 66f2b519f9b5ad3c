import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  chooseMedianCiRanks,
  computeMedianCi,
  createRandom,
  findMedianCiMinN,
  type Random,
} from '../../src/stats/index.js';

// Ranks and coverages checked against scipy.stats.binom (1 - 2 binom.cdf(l - 1, n, 0.5), and minus
// binom.pmf(l, n, 0.5) for the one-rank-narrower pair).
describe('chooseMedianCiRanks', () => {
  it('has no 95 % interval below n = 6: even [min, max] covers only 1 - 2^(1-n)', () => {
    for (const n of [1, 2, 3, 4, 5]) expect(chooseMedianCiRanks(n, 0.95)).toBeNull();
    expect(findMedianCiMinN(0.95)).toBe(6);
    expect(findMedianCiMinN(0.99)).toBe(8);
  });

  it('chooses the exact ranks and coverages at several n', () => {
    const cases: Array<[number, number, number, number]> = [
      [6, 1, 6, 0.96875],
      [7, 1, 7, 0.984375],
      [8, 1, 7, 0.9609375], // one rank narrower than (1, 8) still covers >= 95 %
      [10, 2, 9, 0.978515625],
      [11, 2, 9, 0.96142578125],
      [16, 4, 12, 0.950958251953125],
      [30, 10, 21, 0.9572260547429323],
      [100, 40, 60, 0.9539559330706572],
      [1000, 469, 531, 0.9500154764972458],
    ];
    for (const [n, lowRank, highRank, coverage] of cases) {
      const ranks = chooseMedianCiRanks(n, 0.95)!;
      expect([n, ranks.lowRank, ranks.highRank]).toEqual([n, lowRank, highRank]);
      expect(ranks.coverage).toBeCloseTo(coverage, 12);
    }
  });

  it('never reports a coverage below the level, and works where 2^-n underflows', () => {
    for (let n = 6; n <= 300; n++) expect(chooseMedianCiRanks(n, 0.95)!.coverage).toBeGreaterThanOrEqual(0.95);
    const huge = chooseMedianCiRanks(20_000, 0.95)!;
    // Normal approximation: l ~ n/2 - 1.96 sqrt(n)/2 = 9861.4.
    expect(Math.abs(huge.lowRank - 9861)).toBeLessThanOrEqual(2);
    expect(huge.coverage).toBeGreaterThanOrEqual(0.95);
    expect(huge.coverage).toBeLessThan(0.952);
  });
});

describe('computeMedianCi', () => {
  it('returns the order statistics at the chosen ranks, whatever the input order', () => {
    const xs = [7, 3, 10, 1, 9, 2, 8, 5, 4, 6];
    expect(computeMedianCi(xs)).toEqual({
      state: 'interval',
      method: 'order-statistics',
      level: 0.95,
      coverage: expect.closeTo(0.978515625, 12),
      low: 2,
      high: 9,
      lowRank: 2,
      highRank: 9,
    });
    expect(computeMedianCi([60, 10, 50, 20, 40, 30])).toMatchObject({ state: 'interval', low: 10, high: 60 });
  });

  it("says 'n too small for a 95 % interval' at n = 3 and 5, with the n that would do", () => {
    for (const xs of [
      [10, 12, 11],
      [1, 2, 3, 4, 5],
    ]) {
      expect(computeMedianCi(xs)).toEqual({
        state: 'n-too-small',
        method: 'order-statistics',
        level: 0.95,
        reason: 'n too small for a 95 % interval',
        detail: `n = ${xs.length}; an order-statistics interval of the median needs n >= 6`,
        minN: 6,
      });
    }
  });

  it('rejects bad input, naming expected and got', () => {
    expect(() => computeMedianCi([])).toThrow(InputError);
    expect(() => computeMedianCi([1, 2, 3, 4, 5, 6], 1)).toThrow(
      'expected the confidence level to be in (0, 1), got 1',
    );
  });
});

/** Half-width that an honest coverage estimate from `trials` data sets leaves only by 4.5 sd (p ~ 7e-6). */
function tolerance(coverage: number, trials: number): number {
  return 4.5 * Math.sqrt((coverage * (1 - coverage)) / trials);
}

const DISTRIBUTIONS: Array<{ name: string; median: number; draw: (random: Random) => number }> = [
  { name: 'normal(50, 5)', median: 50, draw: (random) => 50 + 5 * random.nextNormal() },
  // Lognormal with sigma 0.5: skewed like a startup time; its median is exp(mu) = 50.
  { name: 'lognormal(ln 50, 0.5)', median: 50, draw: (random) => 50 * Math.exp(0.5 * random.nextNormal()) },
];

describe('computeMedianCi coverage (simulation, fixed seed)', () => {
  // 4000 data sets per case: the estimate's sd is <= 0.0034, so the band is about +/- 0.015 around
  // the exact coverage; an interval that truly covered 93 % (a percentile bootstrap at small n) or
  // 75 % ([min, max] at n = 3) falls far outside it.
  const TRIALS = 4000;
  for (const n of [6, 10, 30]) {
    DISTRIBUTIONS.forEach((distribution, index) => {
      it(`covers the true median as the binomial says at n = ${n}, ${distribution.name}`, () => {
        // A seed per case: the same normal draws would make the lognormal case a copy of the normal one.
        const random = createRandom(1000 + 100 * index + n);
        const expected = chooseMedianCiRanks(n, 0.95)!.coverage;
        let covered = 0;
        for (let trial = 0; trial < TRIALS; trial++) {
          const xs = Array.from({ length: n }, () => distribution.draw(random));
          const ci = computeMedianCi(xs);
          if (ci.state === 'interval' && ci.low <= distribution.median && distribution.median <= ci.high) covered++;
        }
        const observed = covered / TRIALS;
        expect(Math.abs(observed - expected)).toBeLessThanOrEqual(tolerance(expected, TRIALS));
        expect(observed).toBeGreaterThanOrEqual(0.95 - tolerance(0.95, TRIALS));
      });
    });
  }
});
