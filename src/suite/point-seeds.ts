// The seeds of the points' round orders, drawn from the run's one recorded seed: point k (in plan
// order) gets the k-th draw, so a run is replayed from its seed (same scenarios and targets).
import { createRandom } from '../stats/index.js';

/** A generator of per-point seeds (integers in [0, 2^32)) from the run's seed (a safe integer). */
export function createPointSeeds(runSeed: number): () => number {
  const random = createRandom(runSeed);
  return () => Math.floor(random.nextFloat() * 2 ** 32);
}
