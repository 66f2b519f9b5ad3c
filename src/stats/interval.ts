// The states a confidence interval can be in: given (with its achieved coverage), or absent with
// the reason. An interval is never faked as [min, max] or left null without saying why.

import { InputError } from '../errors.js';

/** A two-sided confidence interval; `low` and `high` are in the unit of the estimate. */
export interface ConfidenceInterval {
  /** Requested confidence level in (0, 1), e.g. 0.95. */
  level: number;
  low: number;
  high: number;
}

/** An interval that exists, with the coverage its method achieves (>= level, exact or approximate). */
export interface GivenInterval extends ConfidenceInterval {
  state: 'interval';
  /** Coverage probability the method achieves for this n, in [level, 1]; > level because ranks are discrete. */
  coverage: number;
}

/** No interval: the samples are too few for any interval of this method to reach `level`. */
export interface TooFewForInterval {
  state: 'n-too-small';
  level: number;
  /** "n too small for a 95 % interval": the words a report prints instead of an interval. */
  reason: string;
  /** Why, with the figures, e.g. "n = 3; an order-statistics interval needs n >= 6". */
  detail: string;
}

/** Throws InputError unless `level` is in (0, 1). */
export function requireLevel(level: number): void {
  if (!(level > 0 && level < 1)) {
    throw new InputError(`expected the confidence level to be in (0, 1), got ${level}`, { hint: 'e.g. 0.95' });
  }
}

/** "95 %" for 0.95, "99.9 %" for 0.999: a level as a report writes it. */
export function formatLevel(level: number): string {
  return `${Number((level * 100).toFixed(2))} %`;
}

/** The TooFewForInterval of `level` with `detail`. */
export function tooFewForInterval(level: number, detail: string): TooFewForInterval {
  return { state: 'n-too-small', level, reason: `n too small for a ${formatLevel(level)} interval`, detail };
}
