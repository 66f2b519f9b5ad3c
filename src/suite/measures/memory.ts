// memory: one instance held idle after ready; its host-side memory (PSS split into anon, file and
// shmem, USS and RSS of the whole process tree, the cgroup's charge, a VM guest's own view)
// sampled at the end, and PSS (with its split) over time from launch.
import { startSampler } from '../../measure/sampler.js';
import type { MemorySample } from '../../targets/types.js';
import type { TimelinePoint } from '../run-schema.js';
import { pause, within } from '../timeouts.js';
import { memoryValues } from './memory-values.js';
import { readyOrExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

export const measureMemory: MeasureIteration = async (context) => {
  const { target, workload, timeoutMs, signal, scenarioCase } = context;
  const instance = await target.launch(workload);
  const sampler = startSampler(() => instance.sampleMemory(), { intervalMs: scenarioCase.sampleIntervalMs });
  try {
    await within(readyOrExit(instance), timeoutMs, `${target.kind}: ready marker`, signal);
    await pause(scenarioCase.holdMs, signal);
    const sample = await instance.sampleMemory();
    const timeline = (await sampler.stop()).map((s) => timelinePoint(Number(s.tNs) / 1e6, s.value));
    return { values: memoryValues(sample), timeline, phasesNs: instance.phases() };
  } finally {
    await sampler.stop();
    await instance.dispose();
  }
};

export function timelinePoint(tMs: number, sample: MemorySample): TimelinePoint {
  const point: TimelinePoint = { tMs, pssBytes: sample.pssBytes };
  if (sample.pssSplit !== undefined) {
    point.pssAnonBytes = sample.pssSplit.anonBytes;
    point.pssFileBytes = sample.pssSplit.fileBytes;
    point.pssShmemBytes = sample.pssSplit.shmemBytes;
  }
  return point;
}
