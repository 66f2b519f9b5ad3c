// The k-th smallest of the m*n differences x_i - y_j without building them all: the Hodges–Lehmann
// interval needs two of them, and m*n grows faster than the samples.

/**
 * Number of pairs with fl(x_i - y_j) <= t. Floating subtraction is monotone, so for a fixed i the
 * computed difference falls as j rises, and the first j where it is <= t only moves right with i.
 */
function countAtMost(xs: Float64Array, ys: Float64Array, t: number): number {
  let count = 0;
  let j = 0;
  for (let i = 0; i < xs.length; i++) {
    while (j < ys.length && xs[i]! - ys[j]! > t) j++;
    count += ys.length - j;
  }
  return count;
}

/** One pair (x_i, y_j) of the sorted inputs and its computed difference x_i - y_j. */
export interface PairDifference {
  value: number;
  /** Index into xs. */
  i: number;
  /** Index into ys. */
  j: number;
}

/** Every pair with a difference in (low, high], ascending; per i they sit in one run of j, found as in countAtMost. */
function collectBetween(xs: Float64Array, ys: Float64Array, low: number, high: number): PairDifference[] {
  const found: PairDifference[] = [];
  let first = 0; // first j with x_i - y_j <= high
  let end = 0; // first j with x_i - y_j <= low
  for (let i = 0; i < xs.length; i++) {
    while (first < ys.length && xs[i]! - ys[first]! > high) first++;
    while (end < ys.length && xs[i]! - ys[end]! > low) end++;
    for (let j = first; j < end; j++) found.push({ value: xs[i]! - ys[j]!, i, j });
  }
  return found.sort((p, q) => p.value - q.value);
}

/**
 * The pair with the k-th smallest (1-based) of the differences x_i - y_j over every pair, as
 * computed in floating point: a bisection on the value with an O(m + n) count per step, then a sort
 * of the few pairs left in the final bracket. About 60 counts for values of one magnitude.
 * @param xs - ascending, finite, non-empty; likewise `ys` (not checked: callers validate once).
 * @param k - an integer in [1, xs.length * ys.length].
 */
export function selectPairDifference(xs: Float64Array, ys: Float64Array, k: number): PairDifference {
  const last = ys.length - 1;
  let low = xs[0]! - ys[last]!; // the smallest difference
  let lowCount = countAtMost(xs, ys, low);
  if (k <= lowCount) return { value: low, i: 0, j: last };
  let high = xs[xs.length - 1]! - ys[0]!; // the largest: count(high) = m n >= k
  let highCount = xs.length * ys.length;
  // Invariant: lowCount = count(low) < k <= highCount = count(high). Narrow until few pairs remain,
  // or until low and high are adjacent doubles (then every pair in between shares one value).
  while (highCount - lowCount > xs.length + ys.length) {
    const mid = low + (high - low) / 2;
    if (mid <= low || mid >= high) break;
    const midCount = countAtMost(xs, ys, mid);
    if (midCount >= k) {
      high = mid;
      highCount = midCount;
    } else {
      low = mid;
      lowCount = midCount;
    }
  }
  return collectBetween(xs, ys, low, high)[k - lowCount - 1]!;
}
