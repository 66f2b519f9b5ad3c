import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { compareSamples, compareWithHistory, createRandom, type Random } from '../../src/stats/index.js';

/**
 * One run of `n` samples: a run factor (3 % log-sd: host state, build, page cache) times per-sample
 * noise (5 % log-sd). The run factor is what pooling samples across runs ignores.
 */
function drawRun(random: Random, center: number, n = 5): number[] {
  const factor = center * Math.exp(0.03 * random.nextNormal());
  return Array.from({ length: n }, () => factor * Math.exp(0.05 * random.nextNormal()));
}

/** Half-width that an honest rate estimate from `trials` data sets leaves only by 4.5 sd (p ~ 7e-6). */
function tolerance(rate: number, trials: number): number {
  return 4.5 * Math.sqrt((rate * (1 - rate)) / trials);
}

describe('compareWithHistory', () => {
  it('gives the prediction interval of scipy for 5 known run medians', () => {
    // log medians of 100, 102, 98, 101, 99: t.ppf(0.975, 4) * sd * sqrt(1 + 1/5) = 0.04809573312720767.
    const runs = [[100], [102], [98], [101], [99]];
    const result = compareWithHistory(runs, [100], { thresholdRatio: 0.1 });
    expect(result.baselineRunMedians).toEqual([100, 102, 98, 101, 99]);
    expect(result.baselineCenter).toBeCloseTo(99.98999879971997, 10);
    expect(result.predictionInterval!.level).toBe(0.95);
    expect(result.predictionInterval!.low).toBeCloseTo(95.29472292732603, 9);
    expect(result.predictionInterval!.high).toBeCloseTo(104.91661608159255, 9);
    expect(result.verdict).toBe('unchanged');
    expect(result.reason).toBe(
      'median +0.0% against the centre of 5 earlier runs (95% prediction interval of a new run -4.7% to +4.9%): within the run-to-run variation, which lies within the 10.0% threshold',
    );
  });

  it('judges each run by its median: outside the interval and beyond the threshold, or not', () => {
    const runs = [[100, 1, 200], [102], [98], [101], [99]]; // the first run's median is 100
    expect(compareWithHistory(runs, [120]).verdict).toBe('regression');
    expect(compareWithHistory(runs, [80]).verdict).toBe('improvement');
    expect(compareWithHistory(runs, [120], { higherIsWorse: false }).verdict).toBe('improvement');
    // Outside the interval (+4.9 %) but within a 10 % threshold.
    expect(compareWithHistory(runs, [107], { thresholdRatio: 0.1 })).toMatchObject({
      verdict: 'unchanged',
      reason: expect.stringMatching(/outside the run-to-run variation but within the 10\.0% threshold$/),
    });
    // Inside the interval, but the interval is wider than a 2 % threshold.
    expect(compareWithHistory(runs, [103], { thresholdRatio: 0.02 })).toMatchObject({
      verdict: 'inconclusive',
      reason: expect.stringMatching(/reaches beyond the 2\.0% threshold; a change of that size could hide in it$/),
    });
  });

  it("says 'inconclusive' below 5 earlier runs, with the reason", () => {
    const result = compareWithHistory([[100], [101], [99], [100]], [150]);
    expect(result).toMatchObject({
      verdict: 'inconclusive',
      baselineRuns: 4,
      predictionInterval: null,
      change: null,
      reason: '4 earlier runs; a verdict needs at least 5, each run counting once by its median',
    });
  });

  it('handles medians <= 0: unchanged when every median is equal, else inconclusive', () => {
    const zeros = [[0], [0], [0], [0], [0]];
    expect(compareWithHistory(zeros, [0, 0])).toMatchObject({ verdict: 'unchanged', change: null });
    expect(compareWithHistory(zeros, [5])).toMatchObject({
      verdict: 'inconclusive',
      reason: 'a run median is <= 0, so run-to-run variation cannot be judged on a log scale',
    });
  });

  it('rejects bad options and bad runs, naming expected and got', () => {
    expect(() => compareWithHistory([[1]], [1], { alpha: 0 })).toThrow('expected alpha to be in (0, 1), got 0');
    expect(() => compareWithHistory([[1], []], [1])).toThrow(
      'expected samples of baseline run 1 to hold at least one number, got an empty array',
    );
    expect(() => compareWithHistory([[1]], [Number.NaN])).toThrow(InputError);
  });
});

describe('compareWithHistory error rates (simulation, fixed seed)', () => {
  const TRIALS = 2000;
  for (const k of [5, 10, 20]) {
    it(`flags a run without change as a regression alpha/2 = 2.5 % of the time at K = ${k}`, () => {
      const random = createRandom(500 + k);
      let regressions = 0;
      for (let trial = 0; trial < TRIALS; trial++) {
        const baseline = Array.from({ length: k }, () => drawRun(random, 100));
        // Threshold 0: the prediction interval alone decides, so its calibration is what is measured.
        if (compareWithHistory(baseline, drawRun(random, 100), { thresholdRatio: 0 }).verdict === 'regression') {
          regressions++;
        }
      }
      expect(Math.abs(regressions / TRIALS - 0.025)).toBeLessThanOrEqual(tolerance(0.025, TRIALS));
    });
  }

  it('finds a 20 % regression in nearly every candidate at K = 10', () => {
    const random = createRandom(77);
    let found = 0;
    for (let trial = 0; trial < 500; trial++) {
      const baseline = Array.from({ length: 10 }, () => drawRun(random, 100));
      if (compareWithHistory(baseline, drawRun(random, 120)).verdict === 'regression') found++;
    }
    // Simulated at 99.4 %; 97 % leaves room for luck (sd 0.35 %).
    expect(found / 500).toBeGreaterThanOrEqual(0.97);
  });

  it('shows why: pooling the same runs as independent samples flags about 30 % of unchanged runs', () => {
    const random = createRandom(91);
    let pooledFlags = 0;
    let historyFlags = 0;
    const trials = 200;
    for (let trial = 0; trial < trials; trial++) {
      const baseline = Array.from({ length: 10 }, () => drawRun(random, 100, 10));
      const candidate = drawRun(random, 100, 10);
      const pooled = compareSamples(baseline.flat(), candidate, { thresholdRatio: 0 }).verdict;
      if (pooled === 'regression' || pooled === 'improvement') pooledFlags++;
      const history = compareWithHistory(baseline, candidate, { thresholdRatio: 0 }).verdict;
      if (history === 'regression' || history === 'improvement') historyFlags++;
    }
    // Both bands are 4.5 sd wide: pooled ~ 31 % (sd 3.3 %), per run ~ 5 % two-sided (sd 1.5 %).
    expect(pooledFlags / trials).toBeGreaterThan(0.15);
    expect(historyFlags / trials).toBeLessThan(0.12);
  });
});
