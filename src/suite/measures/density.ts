// density: N instances running at once; the drop of the host's MemAvailable divided by N is the
// real per-instance cost (it includes kernel memory no per-process figure shows).
import { readMemInfo } from '../../measure/host-memory.js';
import type { Instance } from '../../targets/types.js';
import { pause, within } from '../timeouts.js';
import { readyOrExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

export const measureDensity: MeasureIteration = async (context) => {
  const { target, workload, timeoutMs, signal, scenarioCase, point } = context;
  const count = point.instances;
  const instances: Instance[] = [];
  try {
    const before = (await readMemInfo()).memAvailableBytes;
    // One after another, each ready before the next: N boots at once would measure contention.
    for (let i = 0; i < count; i++) {
      const instance = await target.launch(workload);
      instances.push(instance);
      await within(readyOrExit(instance), timeoutMs, `${target.kind}: instance ${i + 1} ready marker`, signal);
    }
    await pause(scenarioCase.holdMs, signal);
    const after = (await readMemInfo()).memAvailableBytes;
    const samples = await Promise.all(instances.map((instance) => instance.sampleMemory()));
    const sum = (pick: (s: (typeof samples)[number]) => number) => samples.reduce((acc, s) => acc + pick(s), 0);
    const drop = before - after;
    const values: Record<string, number> = {
      'memory.host_available_drop': drop,
      'memory.per_instance': drop / count,
      'memory.pss': sum((s) => s.pssBytes) / count,
      'memory.uss': sum((s) => s.ussBytes) / count,
      'memory.rss': sum((s) => s.rssBytes) / count,
    };
    // The guests' own view (vm only): the mean over the instances, only when every guest reported.
    const guestUsed = samples.map((s) => s.guest?.usedBytes);
    if (count > 0 && guestUsed.every((bytes): bytes is number => bytes !== undefined)) {
      values['memory.guest_used'] = guestUsed.reduce((acc, bytes) => acc + bytes, 0) / count;
    }
    return { values };
  } finally {
    await Promise.allSettled(instances.map((instance) => instance.dispose()));
  }
};
