// The input every statistic takes: a non-empty list of finite numbers, checked once at the edge.

import { InputError } from '../errors.js';

/** A non-empty list of finite measurements in one base unit (ns, bytes, ...). */
export type Samples = readonly [number, ...number[]];

/**
 * Throws InputError unless `samples` is a non-empty array of finite numbers.
 * @param what - names the samples in the message, e.g. "baseline samples".
 */
export function requireSamples(samples: readonly number[], what = 'samples'): asserts samples is Samples {
  if (!Array.isArray(samples)) {
    throw new InputError(`expected ${what} to be an array of numbers, got ${typeof samples}`);
  }
  if (samples.length === 0) {
    throw new InputError(`expected ${what} to hold at least one number, got an empty array`, {
      hint: 'run at least one measured iteration',
    });
  }
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InputError(`expected ${what} to be finite numbers, got ${String(value)} at index ${i}`, {
        hint: 'drop failed iterations before computing statistics',
      });
    }
  }
}

/** Returns an ascending numeric copy; `samples` is left untouched. */
export function sortAscending(samples: readonly number[]): number[] {
  // Typed-array sort compares numerically, unlike Array#sort's default string order.
  return Array.from(Float64Array.from(samples).sort());
}
