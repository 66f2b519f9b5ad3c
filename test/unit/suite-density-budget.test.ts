import { describe, expect, it } from 'vitest';
import { probeAllocBytes } from '../../src/scenario/index.js';
import { instanceReservationBytes, overDensityBudget } from '../../src/suite/density-budget.js';

const MiB = 1024 * 1024;
const vm = { memoryBytes: 256 * MiB, cpus: 1, machine: 'microvm' as const };

describe('the density memory budget', () => {
  it('sums the probe alloc steps, and is 0 for other commands', () => {
    expect(probeAllocBytes(['isobench-probe', 'alloc=16', 'ready', 'alloc=4', 'idle'])).toBe(20 * MiB);
    expect(probeAllocBytes(['/usr/bin/isobench-probe', 'ready', 'idle'])).toBe(0);
    expect(probeAllocBytes(['sh', '-c', 'alloc=16'])).toBe(0);
  });

  it('reserves a VM its guest memory plus 64 MiB, a limited container its limit, else alloc + 64 MiB', () => {
    const command = ['isobench-probe', 'alloc=16', 'ready', 'idle'];
    expect(instanceReservationBytes('vm', { vm, limits: { memoryBytes: 32 * MiB }, command })).toBe(320 * MiB);
    expect(instanceReservationBytes('runc', { vm, limits: { memoryBytes: 32 * MiB }, command })).toBe(32 * MiB);
    expect(instanceReservationBytes('container', { vm, limits: {}, command })).toBe(80 * MiB);
    expect(instanceReservationBytes('native', { vm, limits: {}, command: ['/bin/sleep', '9'] })).toBe(64 * MiB);
  });

  it('lets N instances run while N reservations fit in half of MemAvailable, and says why not otherwise', () => {
    const point = { vm, limits: {}, command: ['isobench-probe', 'ready', 'idle'], instances: 64 };
    // 64 x 64 MiB = 4096 MiB: fits in half of 8 GiB exactly, not in half of 8 GiB - 1 byte.
    expect(overDensityBudget('container', point, 8192 * MiB)).toBeUndefined();
    expect(overDensityBudget('container', point, 8192 * MiB - 1)).toBe(
      'over the memory budget: 64 instances x 64 MiB = 4096 MiB > 50 % of MemAvailable (8192 MiB)',
    );
    expect(overDensityBudget('vm', { ...point, instances: 8 }, 4096 * MiB)).toBe(
      'over the memory budget: 8 instances x 320 MiB = 2560 MiB > 50 % of MemAvailable (4096 MiB)',
    );
  });
});
