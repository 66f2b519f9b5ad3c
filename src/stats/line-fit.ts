// Density as a slope: a least-squares line of a cost (bytes) against the instance count N, the
// slope's Student-t CI, and how to read a slope whose CI does not exclude zero.

import { InputError } from '../errors.js';
import { type GivenInterval, requireLevel, type TooFewForInterval, tooFewForInterval } from './interval.js';
import { studentTQuantile } from './student-t.js';

/** The slope's CI: slope +/- t(1 - (1 - level)/2, n - 2) * standard error. */
export interface SlopeInterval extends GivenInterval {
  method: 'student-t';
}

/** An ordinary least-squares line y = intercept + slope * x. */
export interface LineFit {
  /** Number of points. */
  n: number;
  /** In y's unit per x's unit, e.g. bytes per instance. */
  slope: number;
  /** In y's unit: the fitted y at x = 0 (e.g. the harness's own bytes). */
  intercept: number;
  /** Standard error of the slope, in the slope's unit; 0 when the points lie on the line. */
  slopeStandardError: number;
  /** CI of the slope (exact under independent normal errors of equal variance); 'n-too-small' at n = 2. */
  slopeCi: SlopeInterval | (TooFewForInterval & { method: 'student-t' });
  /** Share of y's variance the line explains, in [0, 1]; 1 when y is constant (nothing left to explain). */
  rSquared: number;
}

function requirePoints(xs: readonly number[], ys: readonly number[]): void {
  if (!Array.isArray(xs) || !Array.isArray(ys) || xs.length !== ys.length) {
    throw new InputError(`expected as many x as y values, got ${xs?.length} and ${ys?.length}`);
  }
  if (xs.length < 2) {
    throw new InputError(`expected at least 2 points for a line, got ${xs.length}`, {
      hint: 'measure at two or more instance counts',
    });
  }
  [...xs, ...ys].forEach((value, i) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const where = i < xs.length ? `x at index ${i}` : `y at index ${i - xs.length}`;
      throw new InputError(`expected finite numbers, got ${String(value)} as ${where}`);
    }
  });
  if (xs.every((x) => x === xs[0])) {
    throw new InputError(`expected at least two different x values, got only ${xs[0]}`, {
      hint: 'a slope needs points at two or more instance counts',
    });
  }
}

/**
 * Fits y = intercept + slope * x by least squares (sums centred on the means, for accuracy).
 * The slope's CI uses Student's t with n - 2 degrees of freedom: it assumes the points' errors are
 * independent, of mean 0 and one variance; exact when they are also normal.
 * @param xs - x values, e.g. instance counts N; finite, at least two different (InputError otherwise).
 * @param ys - y values in one unit, e.g. host memory in bytes; finite, as many as `xs`.
 * @param level - level of the slope CI, in (0, 1); default 0.95.
 */
export function fitLine(xs: readonly number[], ys: readonly number[], level = 0.95): LineFit {
  requirePoints(xs, ys);
  requireLevel(level);
  const n = xs.length;
  const meanX = xs.reduce((s, x) => s + x, 0) / n;
  const meanY = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - meanX;
    const dy = ys[i]! - meanY;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  let residualSquares = 0;
  for (let i = 0; i < n; i++) residualSquares += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  const rSquared = syy > 0 ? Math.max(0, 1 - residualSquares / syy) : 1;
  if (n < 3) {
    return {
      n,
      slope,
      intercept,
      slopeStandardError: 0,
      slopeCi: {
        ...tooFewForInterval(level, 'a line through 2 points leaves no degrees of freedom for its error'),
        method: 'student-t',
      },
      rSquared,
    };
  }
  const slopeStandardError = Math.sqrt(residualSquares / (n - 2) / sxx);
  const halfWidth = studentTQuantile(1 - (1 - level) / 2, n - 2) * slopeStandardError;
  return {
    n,
    slope,
    intercept,
    slopeStandardError,
    slopeCi: {
      state: 'interval',
      method: 'student-t',
      level,
      coverage: level,
      low: slope - halfWidth,
      high: slope + halfWidth,
    },
    rSquared,
  };
}

/** How to report a cost slope (e.g. bytes per instance): never as a negative cost. */
export type SlopeReading =
  /** The CI lies above 0: a cost, `slope` in [low, high]. */
  | { state: 'cost'; slope: number; low: number; high: number; level: number }
  /**
   * The CI includes 0: "below the noise floor (± noiseFloor)". noiseFloor = max(|low|, |high|) >= 0,
   * the largest slope, either way, that the data cannot rule out; in the slope's unit.
   */
  | { state: 'below-noise-floor'; noiseFloor: number; level: number }
  /** The CI lies below 0: the cost fell as N rose, which a per-instance cost cannot; a measurement artefact. */
  | { state: 'implausible-negative'; low: number; high: number; level: number; reason: string }
  /** No CI (2 points): no reading of the slope can be defended. */
  | { state: 'n-too-small'; reason: string; detail: string };

/**
 * Reads the slope of a cost against N so that a report never prints a negative cost nor a slope its
 * noise does not support: a CI that includes 0 becomes 'below-noise-floor' with the bound ± X.
 * @param fit - from fitLine.
 */
export function readCostSlope(fit: LineFit): SlopeReading {
  const ci = fit.slopeCi;
  if (ci.state === 'n-too-small') return { state: 'n-too-small', reason: ci.reason, detail: ci.detail };
  if (ci.low > 0) return { state: 'cost', slope: fit.slope, low: ci.low, high: ci.high, level: ci.level };
  if (ci.high < 0) {
    return {
      state: 'implausible-negative',
      low: ci.low,
      high: ci.high,
      level: ci.level,
      reason:
        'the cost fell as instances were added, which no per-instance cost does: a measurement artefact (the baseline moved during the sweep)',
    };
  }
  return { state: 'below-noise-floor', noiseFloor: Math.max(Math.abs(ci.low), Math.abs(ci.high)), level: ci.level };
}
