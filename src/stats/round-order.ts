// Balanced order of targets: each round a fresh seeded random permutation, so every target follows
// every other about equally often and no after-effect (QEMU freeing memory, podman's cleanup)
// always lands on the same successor, as it does when the start is only rotated.

import { InputError } from '../errors.js';
import { createRandom, type Random } from './random.js';

/**
 * A uniformly random permutation of `items` (Fisher–Yates, drawing from `random`); `items` is left
 * untouched. Each of the n! orders has probability 1/n! up to the 2^-32 resolution of nextIndex.
 */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const order = [...items];
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.nextIndex(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * The order of `targets` in each of `rounds` rounds: independent random permutations from one
 * mulberry32 stream seeded with `seed`. The same targets, rounds and seed always give the same
 * orders, so a run records its seed and can be replayed. Any two targets are neighbours in a round
 * equally often in either order, in expectation: with 5 targets each ordered pair is adjacent in
 * 1 round in 5.
 * @param targets - distinct names (or any values), at least one.
 * @param rounds - a non-negative integer.
 * @param seed - a safe integer (see createRandom).
 */
export function planRoundOrders<T>(targets: readonly T[], rounds: number, seed: number): T[][] {
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new InputError('expected at least one target to order, got none');
  }
  if (new Set(targets).size !== targets.length) {
    throw new InputError(`expected distinct targets, got ${targets.map(String).join(', ')}`);
  }
  if (!Number.isSafeInteger(rounds) || rounds < 0) {
    throw new InputError(`expected rounds to be a non-negative integer, got ${rounds}`);
  }
  const random = createRandom(seed);
  return Array.from({ length: rounds }, () => shuffle(targets, random));
}
