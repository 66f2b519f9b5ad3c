// memory: one instance held idle after ready; its host-side memory (PSS/USS/RSS of the whole
// process tree, the cgroup's charge, a VM guest's own view) sampled at the end, and PSS over time
// from launch.
import { startSampler } from '../../measure/sampler.js';
import { pause, within } from '../timeouts.js';
import { readyOrExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

export const measureMemory: MeasureIteration = async (context) => {
  const { target, workload, timeoutMs, signal, scenarioCase } = context;
  const instance = await target.launch(workload);
  const sampler = startSampler(async () => (await instance.sampleMemory()).pssBytes, {
    intervalMs: scenarioCase.sampleIntervalMs,
  });
  try {
    await within(readyOrExit(instance), timeoutMs, `${target.kind}: ready marker`, signal);
    await pause(scenarioCase.holdMs, signal);
    const sample = await instance.sampleMemory();
    const timeline = (await sampler.stop()).map((s) => ({ tMs: Number(s.tNs) / 1e6, pssBytes: s.value }));
    const values: Record<string, number> = {
      'memory.pss': sample.pssBytes,
      'memory.uss': sample.ussBytes,
      'memory.rss': sample.rssBytes,
    };
    if (sample.cgroup?.currentBytes !== undefined) values['memory.cgroup'] = sample.cgroup.currentBytes;
    if (sample.cgroup?.peakBytes !== undefined) values['memory.peak'] = sample.cgroup.peakBytes;
    // The guest's own view (vm only), as /init read it at ready.
    if (sample.guest?.usedBytes !== undefined) values['memory.guest_used'] = sample.guest.usedBytes;
    return { values, timeline, phasesNs: instance.phases() };
  } finally {
    await sampler.stop();
    await instance.dispose();
  }
};
