// The per-instance memory metrics of a MemorySample, shared by the memory and density measures so
// both split the PSS the same way: memory.instance (anon + shmem PSS) is the headline, the
// file-backed part (binaries, libraries, a VM's mapped kernel file) is memory.pss_file beside it.
import type { MemorySample } from '../../targets/types.js';

/**
 * Metric name -> bytes for one instance's sample: memory.pss, .uss, .rss; with the PSS split,
 * memory.pss_anon, .pss_file, .pss_shmem and memory.instance = pss_anon + pss_shmem; the cgroup's
 * memory.cgroup and .peak when the target has one; memory.guest_used when a VM guest reported.
 */
export function memoryValues(sample: MemorySample): Record<string, number> {
  const values: Record<string, number> = {};
  // memory.instance first: the runner's progress line shows the first value.
  if (sample.pssSplit !== undefined) values['memory.instance'] = sample.pssSplit.anonBytes + sample.pssSplit.shmemBytes;
  values['memory.pss'] = sample.pssBytes;
  if (sample.pssSplit !== undefined) {
    values['memory.pss_anon'] = sample.pssSplit.anonBytes;
    values['memory.pss_file'] = sample.pssSplit.fileBytes;
    values['memory.pss_shmem'] = sample.pssSplit.shmemBytes;
  }
  values['memory.uss'] = sample.ussBytes;
  values['memory.rss'] = sample.rssBytes;
  if (sample.cgroup?.currentBytes !== undefined) values['memory.cgroup'] = sample.cgroup.currentBytes;
  if (sample.cgroup?.peakBytes !== undefined) values['memory.peak'] = sample.cgroup.peakBytes;
  // The guest's own view (vm only), as the probe read it in the guest once ready.
  if (sample.guest?.usedBytes !== undefined) values['memory.guest_used'] = sample.guest.usedBytes;
  return values;
}

/**
 * The mean over instances of each metric of memoryValues(), keeping only metrics every sample has
 * (one instance without a cgroup or a guest report leaves that metric out rather than skewing it).
 * @param samples - at least one.
 */
export function meanMemoryValues(samples: readonly MemorySample[]): Record<string, number> {
  const each = samples.map(memoryValues);
  const mean: Record<string, number> = {};
  for (const metric of Object.keys(each[0] ?? {})) {
    if (!each.every((values) => values[metric] !== undefined)) continue;
    mean[metric] = each.reduce((sum, values) => sum + values[metric]!, 0) / each.length;
  }
  return mean;
}
