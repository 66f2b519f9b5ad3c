import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { compareSamples, createRandom } from '../../src/stats/index.js';

/** n lognormal samples around `center` with a 5 % log-sd: typical run-to-run noise of a timing. */
function drawNoisy(seed: number, n: number, center: number): number[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => center * Math.exp(0.05 * random.nextNormal()));
}

// Fixed seeds 1..20 (baseline) and 1001..1020 (candidate): deterministic, not picked to pass.
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('compareSamples', () => {
  it('flags an injected 20% slowdown on noisy data (n = 30) as a regression, for every seed', () => {
    for (const seed of SEEDS) {
      const baseline = drawNoisy(seed, 30, 100);
      const candidate = drawNoisy(seed + 1000, 30, 120);
      const result = compareSamples(baseline, candidate);
      expect(result.verdict, result.reason).toBe('regression');
      expect(result.change!).toBeGreaterThan(0.1);
      expect(result.changeCi!.low).toBeGreaterThan(0);
      expect(result.pValue).toBeLessThan(0.05);
      expect(result.reason).toMatch(/significant change beyond the 5\.0% threshold/);
    }
  });

  it('calls a 20% speed-up an improvement, and a 20% rise an improvement when higher is better', () => {
    const baseline = drawNoisy(1, 30, 100);
    expect(compareSamples(baseline, drawNoisy(1001, 30, 80)).verdict).toBe('improvement');
    expect(compareSamples(baseline, drawNoisy(1001, 30, 120), { higherIsWorse: false }).verdict).toBe('improvement');
  });

  it('flags nothing across 20 seeds when both samples come from one distribution', () => {
    const flaggedAt = (alpha: number): number =>
      SEEDS.filter((seed) => {
        const verdict = compareSamples(drawNoisy(seed, 30, 100), drawNoisy(seed + 1000, 30, 100), { alpha }).verdict;
        return verdict === 'regression' || verdict === 'improvement';
      }).length;
    expect(flaggedAt(0.01)).toBe(0);
    expect(flaggedAt(0.05)).toBeLessThanOrEqual(1);
  });

  it('flags at most 1 of 20 same-distribution pairs at alpha 0.05 even with a 0 threshold', () => {
    const flagged = SEEDS.filter((seed) => {
      const result = compareSamples(drawNoisy(seed, 30, 100), drawNoisy(seed + 1000, 30, 100), { thresholdRatio: 0 });
      return result.verdict !== 'inconclusive' && result.verdict !== 'unchanged';
    });
    expect(flagged.length).toBeLessThanOrEqual(1);
  });

  it("says 'inconclusive' with fewer than 5 samples on a side, with the counts in the reason", () => {
    const result = compareSamples([100, 101, 99, 100], [200, 201, 199, 200, 202, 198]);
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toBe('too few samples (baseline 4, candidate 6); need at least 5 on each side');
    expect(result.baselineMedian).toBe(100);
    expect(result.candidateMedian).toBe(200);
    expect(result.change).toBe(1);
  });

  it('computes change as candidate median / baseline median - 1, exactly', () => {
    const result = compareSamples([10, 10, 10, 10, 10], [12, 12, 12, 12, 12]);
    expect(result.change).toBeCloseTo(0.2, 14);
    expect(result.changeCi).toMatchObject({ level: 0.95 });
    expect(result.changeCi!.low).toBeCloseTo(0.2, 14);
    expect(result.changeCi!.high).toBeCloseTo(0.2, 14);
    // Two constant groups of 5 (ties): U = 25, var = 25/12 * (11 - 240/90) = 625/36, z = (12.5 - 0.5) / (25/6) = 2.88,
    // p = 2 * P(Z >= 2.88) = 0.003977.
    expect(result.pValue).toBeCloseTo(0.003976751709788839, 12);
    expect(result.verdict).toBe('regression');
  });

  it("calls a significant change within the threshold 'unchanged'", () => {
    const baseline = drawNoisy(7, 30, 100).map((x) => 100 + (x - 100) / 10); // 0.5 % noise
    const candidate = drawNoisy(1007, 30, 100).map((x) => 102 + (x - 100) / 10); // +2 %
    const result = compareSamples(baseline, candidate);
    expect(result.pValue).toBeLessThan(0.05);
    expect(result.verdict).toBe('unchanged');
    expect(result.reason).toMatch(/significant but within the 5\.0% threshold/);
  });

  it("calls a non-significant result 'inconclusive' when the CI reaches beyond the threshold", () => {
    // 30 % noise with n = 6: the CI of the change is far wider than 5 %.
    const random = createRandom(9);
    const noisy = (): number[] => Array.from({ length: 6 }, () => 100 * Math.exp(0.3 * random.nextNormal()));
    const result = compareSamples(noisy(), noisy());
    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/take more samples$/);
  });

  it('handles a baseline of zeros: unchanged when both sides are the same constant, else inconclusive', () => {
    const zeros = [0, 0, 0, 0, 0];
    expect(compareSamples(zeros, zeros)).toMatchObject({ verdict: 'unchanged', change: 0, pValue: 1 });
    expect(compareSamples(zeros, [1, 2, 3, 4, 5])).toMatchObject({
      verdict: 'inconclusive',
      change: null,
      changeCi: null,
      reason: 'the baseline has values <= 0, so a relative change is undefined',
    });
  });

  it('is deterministic: no resampling, the same samples give the same comparison', () => {
    const baseline = drawNoisy(3, 30, 100);
    const candidate = drawNoisy(1003, 30, 103);
    expect(compareSamples(baseline, candidate)).toEqual(compareSamples(baseline, candidate));
  });

  it("says 'inconclusive' with the reason when the ratio CI cannot exist", () => {
    const baseline = [100, 101, 99, 102, 98];
    // 5 against 5: the smallest two-sided p is 2/252 = 0.0079, so no 99.9 % interval.
    expect(compareSamples(baseline, [120, 121, 119, 122, 118], { alpha: 0.001 })).toMatchObject({
      verdict: 'inconclusive',
      changeCi: null,
      reason:
        'n too small for a 99.9 % interval: the exact Mann–Whitney test of 5 against 5 samples cannot reach 0.1 % (smallest two-sided p = 0.0079)',
    });
    expect(compareSamples(baseline, [120, 0, 119, 122, 118])).toMatchObject({
      verdict: 'inconclusive',
      changeCi: null,
      reason: 'no ratio CI on a log scale: the numerator holds 0 at index 1; every value must be > 0',
    });
  });

  it('rejects bad options and bad samples, naming expected and got', () => {
    expect(() => compareSamples([1], [1], { alpha: 1 })).toThrow('expected alpha to be in (0, 1), got 1');
    expect(() => compareSamples([1], [1], { thresholdRatio: -0.1 })).toThrow(
      'expected thresholdRatio to be a finite number >= 0, got -0.1',
    );
    expect(() => compareSamples([], [1])).toThrow(InputError);
    expect(() => compareSamples([1], [Number.NaN])).toThrow(
      'expected candidate samples to be finite numbers, got NaN at index 0',
    );
  });
});
