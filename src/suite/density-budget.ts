// The memory budget of a density point: N instances run only when N reservations fit in half of
// the host's MemAvailable, so a sweep sized for a large host never drives a small one into
// reclaim or the OOM killer (which would measure the host, not the instances).
import type { CasePoint } from '../scenario/index.js';
import { probeAllocBytes } from '../scenario/index.js';
import type { TargetKind } from '../vocabulary.js';

const MIB = 1024 * 1024;

/** Share of MemAvailable (at the start of the point) that a density point may reserve. */
export const DENSITY_BUDGET_SHARE = 0.5;
/** Reserved per instance on top of what the workload holds: the process tree, its runtime, kernel objects. */
export const INSTANCE_OVERHEAD_BYTES = 64 * MIB;

/**
 * Bytes reserved for one instance of `target` at `point`: a VM's guest memory plus the overhead
 * (QEMU itself, its mapped kernel file); for the other targets the point's memory limit when set
 * (the most the instance can hold), else the probe's alloc=MIB total plus the overhead.
 */
export function instanceReservationBytes(
  target: TargetKind,
  point: Pick<CasePoint, 'vm' | 'limits' | 'command'>,
): number {
  if (target === 'vm') return point.vm.memoryBytes + INSTANCE_OVERHEAD_BYTES;
  return point.limits.memoryBytes ?? probeAllocBytes(point.command) + INSTANCE_OVERHEAD_BYTES;
}

/**
 * Why `instances` instances of `target` do not fit in the budget, or undefined when they do:
 * instances x instanceReservationBytes must be at most DENSITY_BUDGET_SHARE x memAvailableBytes.
 */
export function overDensityBudget(
  target: TargetKind,
  point: Pick<CasePoint, 'vm' | 'limits' | 'command' | 'instances'>,
  memAvailableBytes: number,
): string | undefined {
  const reservation = instanceReservationBytes(target, point);
  const needed = point.instances * reservation;
  const budget = DENSITY_BUDGET_SHARE * memAvailableBytes;
  if (needed <= budget) return undefined;
  const mib = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;
  const instances = `${point.instances} instance${point.instances === 1 ? '' : 's'}`;
  return `over the memory budget: ${instances} x ${mib(reservation)} = ${mib(needed)} > ${DENSITY_BUDGET_SHARE * 100} % of MemAvailable (${mib(memAvailableBytes)})`;
}
