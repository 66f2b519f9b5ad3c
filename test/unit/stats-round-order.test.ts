import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { createRandom, planRoundOrders, shuffle } from '../../src/stats/index.js';

const TARGETS = ['native', 'container', 'runc', 'crun', 'vm'];

/** Count of each ordered pair "a>b" where b comes right after a, within each round. */
function countNeighbours(orders: string[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const order of orders) {
    for (let i = 1; i < order.length; i++) {
      const key = `${order[i - 1]}>${order[i]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

describe('planRoundOrders', () => {
  it('gives each round a permutation of the targets', () => {
    const orders = planRoundOrders(TARGETS, 60, 42);
    expect(orders).toHaveLength(60);
    for (const order of orders) expect([...order].sort()).toEqual([...TARGETS].sort());
  });

  it('over 60 rounds of 5 targets, every target follows every other, within rounds and across them', () => {
    const orders = planRoundOrders(TARGETS, 60, 42);
    const within = countNeighbours(orders);
    // One continuous sequence: the last of a round precedes the first of the next.
    const across = countNeighbours([orders.flat()]);
    for (const a of TARGETS) {
      for (const b of TARGETS) {
        if (a === b) continue;
        expect(within.get(`${a}>${b}`) ?? 0, `${a} then ${b}`).toBeGreaterThan(0);
        expect(across.get(`${a}>${b}`) ?? 0).toBeGreaterThan(0);
      }
    }
  });

  it('puts each ordered pair side by side about 1 round in 5 (600 rounds, 4.5 sd band)', () => {
    const counts = countNeighbours(planRoundOrders(TARGETS, 600, 7));
    // P(b right after a) = 1/5 per round: mean 120, sd sqrt(600 * 0.2 * 0.8) = 9.8.
    for (const [pair, count] of counts) expect(Math.abs(count - 120), pair).toBeLessThanOrEqual(44);
    expect(counts.size).toBe(20);
  });

  it('gives the same orders for the same seed and others for another seed', () => {
    expect(planRoundOrders(TARGETS, 10, 3)).toEqual(planRoundOrders(TARGETS, 10, 3));
    expect(planRoundOrders(TARGETS, 10, 3)).not.toEqual(planRoundOrders(TARGETS, 10, 4));
    // The first rounds do not depend on how many rounds follow.
    expect(planRoundOrders(TARGETS, 20, 3).slice(0, 10)).toEqual(planRoundOrders(TARGETS, 10, 3));
  });

  it('rejects an empty or repeated target list and a bad round count', () => {
    expect(() => planRoundOrders([], 3, 1)).toThrow('expected at least one target to order, got none');
    expect(() => planRoundOrders(['vm', 'vm'], 3, 1)).toThrow('expected distinct targets, got vm, vm');
    expect(() => planRoundOrders(TARGETS, -1, 1)).toThrow('expected rounds to be a non-negative integer, got -1');
    expect(() => planRoundOrders(TARGETS, 2, 1.5)).toThrow(InputError);
    expect(planRoundOrders(TARGETS, 0, 1)).toEqual([]);
  });
});

describe('shuffle', () => {
  it('draws each of the 6 orders of 3 items about equally often (6000 draws, 4.5 sd band)', () => {
    const random = createRandom(11);
    const counts = new Map<string, number>();
    const items = ['a', 'b', 'c'];
    for (let i = 0; i < 6000; i++) {
      const key = shuffle(items, random).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(items).toEqual(['a', 'b', 'c']);
    expect([...counts.keys()].sort()).toEqual(['abc', 'acb', 'bac', 'bca', 'cab', 'cba']);
    // Mean 1000, sd sqrt(6000 * 1/6 * 5/6) = 28.9.
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThanOrEqual(130);
  });
});
