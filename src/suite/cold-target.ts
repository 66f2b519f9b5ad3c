// --cold: a Target whose every launch is preceded by dropping the host's page cache, outside the
// clock (the launch stamps its start after the drop), counting the drops for the iteration record.
import type { Target, WorkloadSpec } from '../targets/types.js';

/** A target that calls `drop` before each launch of `target`, and how many drops it made. */
export interface ColdTarget {
  target: Target;
  /** Drops made so far. */
  drops(): number;
}

/** Wraps `target`; every other member delegates unchanged (with `target` as `this`). */
export function withColdLaunches(target: Target, drop: () => Promise<void>): ColdTarget {
  let drops = 0;
  const wrapped: Target = {
    kind: target.kind,
    probe: () => target.probe(),
    prepare: (workload) => target.prepare(workload),
    launch: async (workload) => {
      await drop();
      drops++;
      return target.launch(workload);
    },
    imageFootprintBytes: (workload) => target.imageFootprintBytes(workload),
    ...(target.imageFootprintParts === undefined
      ? {}
      : { imageFootprintParts: (workload: WorkloadSpec) => target.imageFootprintParts!(workload) }),
    accel: () => target.accel?.(),
    cleanup: () => target.cleanup(),
  };
  return {
    target: wrapped,
    drops: () => drops,
  };
}
