// A small seeded PRNG (mulberry32) so bootstrap intervals and test data are reproducible.

import { InputError } from '../errors.js';

/** Seed used when a caller gives none, so the same samples always give the same interval. */
export const DEFAULT_SEED = 0x15_0b_e4_c4;

/** A deterministic stream of pseudo-random numbers; not for cryptography. */
export interface Random {
  /** Uniform in [0, 1), 32 bits of resolution. */
  nextFloat(): number;
  /** Uniform integer in [0, n); n is a positive integer. */
  nextIndex(n: number): number;
  /** Standard normal (mean 0, sd 1), by Box–Muller. */
  nextNormal(): number;
}

/**
 * Creates a mulberry32 generator: the same seed always yields the same stream.
 * @param seed - a safe integer; only its low 32 bits are used.
 */
export function createRandom(seed: number = DEFAULT_SEED): Random {
  if (!Number.isSafeInteger(seed)) {
    throw new InputError(`expected the seed to be an integer, got ${seed}`);
  }
  let state = seed >>> 0;
  const nextFloat = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    nextFloat,
    nextIndex: (n) => Math.floor(nextFloat() * n),
    nextNormal: () => {
      // 1 - u lies in (0, 1], so the log is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - nextFloat()));
      return radius * Math.cos(2 * Math.PI * nextFloat());
    },
  };
}
