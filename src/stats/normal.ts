// The standard normal tail and quantile, to double precision, for the Mann–Whitney normal
// approximation (its p-value and its confidence interval beyond exact sizes).

import { InputError } from '../errors.js';

/**
 * erfc(x) for x >= 0: 1 - erf by an all-positive series below 3 (no cancellation), and a
 * continued fraction above, where the series would need many terms.
 */
function computeErfc(x: number): number {
  if (x < 3) {
    // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum 2^n x^(2n+1) / (1*3*...*(2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
  let fraction = x;
  for (let k = 60; k >= 1; k--) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}

/** P(Z >= z) for a standard normal Z; accurate to about 1e-15 absolute. */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const tail = computeErfc(Math.abs(z) / Math.SQRT2) / 2;
  return z >= 0 ? tail : 1 - tail;
}

/**
 * The p-quantile z of a standard normal, P(Z <= z) = p, by bisection on normalUpperTail; accurate
 * to about 1e-12 for p in [1e-300, 1 - 1e-16].
 * @param p - in (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new InputError(`expected a probability in (0, 1), got ${p}`);
  let low = -40;
  let high = 40;
  for (let step = 0; step < 200 && high - low > 1e-13; step++) {
    const mid = (low + high) / 2;
    // P(Z <= mid) = P(Z >= -mid): read from the small tail while mid < 0, without cancellation.
    if (normalUpperTail(-mid) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}
