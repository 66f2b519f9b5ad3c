// density: what N instances running at once pin on the host. Before the instances start, wait for
// a settled baseline of the /proc/meminfo components an instance pins (AnonPages, Shmem,
// SUnreclaim, KernelStack, PageTables, Percpu); start N one after another, each ready before the
// next; hold; read the components again and subtract the baseline and the harness's own change.
// memory.host_pinned against N is a line whose slope is the marginal cost of one instance (the
// report fits it); the per-process PSS figures are recorded per instance beside it.
import { readHostMemoryState, readMemInfo } from '../../measure/host-memory.js';
import {
  type PinnedComponents,
  pinnedComponentsOf,
  pinnedIncrease,
  readProcessPinned,
  settleBaseline,
  totalPinnedBytes,
} from '../../measure/host-pinned.js';
import type { Instance } from '../../targets/types.js';
import { pause, within } from '../timeouts.js';
import { meanMemoryValues } from './memory-values.js';
import { readyOrExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

/** Time between two baseline readings, ms: long enough for deferred frees (RCU, cgroup release) to land. */
export const BASELINE_INTERVAL_MS = 500;

/** Metric name of each component of memory.host_pinned. */
export const COMPONENT_METRICS = {
  anonPagesBytes: 'memory.host_anon',
  shmemBytes: 'memory.host_shmem',
  sUnreclaimBytes: 'memory.host_slab_unreclaimable',
  kernelStackBytes: 'memory.host_kernel_stack',
  pageTablesBytes: 'memory.host_page_tables',
  percpuBytes: 'memory.host_percpu',
} as const satisfies Record<keyof PinnedComponents, string>;

export const measureDensity: MeasureIteration = async (context) => {
  const { target, workload, timeoutMs, signal, scenarioCase, point } = context;
  const count = point.instances;
  const baseline = await settleBaseline({
    toleranceBytes: scenarioCase.baselineToleranceBytes,
    maxWaitMs: scenarioCase.baselineWaitMs,
    intervalMs: BASELINE_INTERVAL_MS,
    signal,
  });
  const harnessBefore = readProcessPinned();
  const availableBefore = (await readMemInfo()).memAvailableBytes;
  const instances: Instance[] = [];
  try {
    // One after another, each ready before the next: N boots at once would measure contention.
    for (let i = 0; i < count; i++) {
      const instance = await target.launch(workload);
      instances.push(instance);
      await within(readyOrExit(instance), timeoutMs, `${target.kind}: instance ${i + 1} ready marker`, signal);
    }
    await pause(scenarioCase.holdMs, signal);
    // The host first, then the harness, then the per-process reads (which allocate in the harness).
    const loadedInfo = await readMemInfo();
    const loaded = pinnedComponentsOf(loadedInfo);
    const harnessAfter = readProcessPinned();
    const hostState = await readHostMemoryState();
    const samples = await Promise.all(instances.map((instance) => instance.sampleMemory()));
    const increase = pinnedIncrease(baseline.components, loaded, harnessBefore, harnessAfter);
    const values: Record<string, number> = { 'memory.host_pinned': totalPinnedBytes(increase) };
    for (const [component, metric] of Object.entries(COMPONENT_METRICS)) {
      values[metric] = increase[component as keyof PinnedComponents];
    }
    // Per instance: the mean over the N instances of each per-process figure.
    Object.assign(values, meanMemoryValues(samples));
    // Context only: MemAvailable moves with the page cache, so this is no cost figure.
    values['memory.host_available_drop'] = availableBefore - loadedInfo.memAvailableBytes;
    return {
      values,
      density: {
        instances: count,
        baseline: {
          settled: baseline.settled,
          waitedMs: baseline.waitedMs,
          readings: baseline.readings,
          toleranceBytes: scenarioCase.baselineToleranceBytes,
          lastChangeBytes: baseline.lastChangeBytes,
          components: baseline.components,
        },
        loaded,
        harnessChange: {
          anonBytes: harnessAfter.anonBytes - harnessBefore.anonBytes,
          shmemBytes: harnessAfter.shmemBytes - harnessBefore.shmemBytes,
          pageTablesBytes: harnessAfter.pageTablesBytes - harnessBefore.pageTablesBytes,
        },
        ...(hostState.ksm === null ? {} : { ksmPagesSharing: hostState.ksm.pagesSharing }),
      },
    };
  } finally {
    await Promise.allSettled(instances.map((instance) => instance.dispose()));
  }
};
