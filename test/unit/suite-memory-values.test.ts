// The per-instance memory metrics: the PSS split, memory.instance = anon + shmem PSS as the
// headline, and the mean over a density point's instances.
import { describe, expect, it } from 'vitest';
import { meanMemoryValues, memoryValues } from '../../src/suite/measures/memory-values.js';

const MiB = 1024 * 1024;

describe('memoryValues', () => {
  it("keeps a VM's mapped kernel file out of memory.instance and shows it as memory.pss_file", () => {
    const values = memoryValues({
      pssBytes: 243 * MiB,
      ussBytes: 170 * MiB,
      rssBytes: 260 * MiB,
      pssSplit: { anonBytes: 180 * MiB, fileBytes: 62 * MiB, shmemBytes: 1 * MiB },
      guest: { usedBytes: 40 * MiB, totalBytes: 256 * MiB },
    });
    expect(values).toEqual({
      'memory.instance': 181 * MiB,
      'memory.pss': 243 * MiB,
      'memory.pss_anon': 180 * MiB,
      'memory.pss_file': 62 * MiB,
      'memory.pss_shmem': 1 * MiB,
      'memory.uss': 170 * MiB,
      'memory.rss': 260 * MiB,
      'memory.guest_used': 40 * MiB,
    });
    // The runner's progress line shows the first value: the headline.
    expect(Object.keys(values)[0]).toBe('memory.instance');
  });

  it('leaves the split metrics out when the kernel gave no split, and adds the cgroup figures', () => {
    expect(
      memoryValues({ pssBytes: 3, ussBytes: 2, rssBytes: 9, cgroup: { currentBytes: 100, peakBytes: 120 } }),
    ).toEqual({ 'memory.pss': 3, 'memory.uss': 2, 'memory.rss': 9, 'memory.cgroup': 100, 'memory.peak': 120 });
  });
});

describe('meanMemoryValues', () => {
  it('averages each metric over the instances, keeping only the metrics every instance has', () => {
    const split = { anonBytes: 100, fileBytes: 40, shmemBytes: 0 };
    const mean = meanMemoryValues([
      { pssBytes: 140, ussBytes: 100, rssBytes: 400, pssSplit: split, guest: { usedBytes: 10 } },
      { pssBytes: 100, ussBytes: 60, rssBytes: 300, pssSplit: { ...split, anonBytes: 60 }, guest: {} },
    ]);
    expect(mean).toEqual({
      'memory.instance': 80,
      'memory.pss': 120,
      'memory.pss_anon': 80,
      'memory.pss_file': 40,
      'memory.pss_shmem': 0,
      'memory.uss': 80,
      'memory.rss': 350,
    });
  });
});
