// Student's t distribution for integer degrees of freedom: the central probability in closed form
// and its quantile, for the slope CI of a line fit and the prediction interval of a run median.

import { InputError } from '../errors.js';

function requireDegreesOfFreedom(df: number): void {
  if (!Number.isSafeInteger(df) || df < 1) {
    throw new InputError(`expected the degrees of freedom to be a positive integer, got ${df}`);
  }
}

/**
 * P(|T| <= sqrt(df) tan(theta)) for T ~ t(df), theta in [0, pi/2): the finite sums of Abramowitz &
 * Stegun 26.7.3 (odd df) and 26.7.4 (even df), which need no gamma function. With c = cos(theta):
 *   odd:  (2/pi) (theta + sin(theta) (c + 2/3 c^3 + (2*4)/(3*5) c^5 + ... up to c^(df-2)))
 *   even: sin(theta) (1 + 1/2 c^2 + (1*3)/(2*4) c^4 + ... up to c^(df-2))
 */
function centralProbability(theta: number, df: number): number {
  const sin = Math.sin(theta);
  const cos = Math.cos(theta);
  const cos2 = cos * cos;
  if (df % 2 === 1) {
    let term = cos;
    let sum = df > 1 ? cos : 0;
    for (let power = 3; power <= df - 2; power += 2) {
      term *= (cos2 * (power - 1)) / power;
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return (2 / Math.PI) * (theta + sin * sum);
  }
  let term = 1;
  let sum = 1;
  for (let power = 2; power <= df - 2; power += 2) {
    term *= (cos2 * (power - 1)) / power;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sin * sum;
}

/**
 * The p-quantile t of Student's t distribution with `df` degrees of freedom, P(T <= t) = p, e.g.
 * studentTQuantile(0.975, 4) = 2.7764451051977987. Bisection on the angle theta = atan(t / sqrt(df)),
 * where the central probability is monotone; accurate to about 1e-12 relative (checked against
 * scipy up to df = 100000).
 * @param p - in (0, 1).
 * @param df - a positive integer (n - 2 for a line through n points, K - 1 for K run medians).
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new InputError(`expected a probability in (0, 1), got ${p}`);
  requireDegreesOfFreedom(df);
  if (p === 0.5) return 0;
  const central = Math.abs(2 * p - 1);
  let low = 0;
  let high = Math.PI / 2;
  for (let step = 0; step < 200; step++) {
    const mid = (low + high) / 2;
    if (mid <= low || mid >= high) break;
    if (centralProbability(mid, df) < central) low = mid;
    else high = mid;
  }
  const t = Math.sqrt(df) * Math.tan((low + high) / 2);
  return p > 0.5 ? t : -t;
}
