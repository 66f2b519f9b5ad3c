// Checks resource limits at the edge, as "expected X, got Y" naming the CLI flag.

import { InputError } from '../../errors.js';
import { formatSize } from '../../util/parse-size.js';
import type { ResourceLimits } from '../types.js';
import { validateCpusetCpus } from './cpuset.js';

/** Below this a container cannot even start (the runtime, libc and a shell do not fit). */
export const MIN_MEMORY_BYTES = 4 * 1024 * 1024;
/** CFS period we always use, in µs (the kernel default). */
export const CFS_PERIOD_US = 100_000;
/** The kernel refuses a CFS quota under 1 ms (sched_cfs_bandwidth_slice floor). */
const MIN_CFS_QUOTA_US = 1_000;

/** CFS quota in µs for a CPU limit in cores: round(cpus x period). */
export function cpusToQuotaUs(cpus: number): number {
  return Math.round(cpus * CFS_PERIOD_US);
}

/**
 * Validates limits against this host.
 * Decision: cpus above the host's CPU count is an ERROR, not a warning: the quota would not bind,
 * so a run labelled "--cpus 4" on a 2-CPU host would silently measure an unlimited container.
 * @param hostCpuCount CPUs this process may run on (os.availableParallelism()).
 * @throws InputError naming the flag (--memory, --cpus, --pids-limit), the expected range and the value got.
 */
export function validateLimits(limits: ResourceLimits, hostCpuCount: number): void {
  const { memoryBytes, cpus, pidsLimit } = limits;
  if (memoryBytes !== undefined) {
    if (!Number.isSafeInteger(memoryBytes)) {
      throw new InputError(`expected --memory to be a whole number of bytes, got ${memoryBytes}`);
    }
    if (memoryBytes < MIN_MEMORY_BYTES) {
      throw new InputError(`expected --memory to be at least 4m, got ${formatSize(memoryBytes)}`, {
        hint: 'below 4 MiB the container cannot even start; give it at least --memory 4m',
      });
    }
  }
  if (cpus !== undefined) {
    if (!Number.isFinite(cpus) || cpus <= 0) {
      throw new InputError(`expected --cpus to be a number of CPUs greater than 0, got ${cpus}`, {
        hint: 'e.g. --cpus 0.5 for half a CPU; leave it out for no limit',
      });
    }
    if (cpusToQuotaUs(cpus) < MIN_CFS_QUOTA_US) {
      throw new InputError(`expected --cpus to be at least 0.01, got ${cpus}`, {
        hint: 'the kernel refuses a CFS quota under 1 ms per 100 ms period',
      });
    }
    if (cpus > hostCpuCount) {
      throw new InputError(`expected --cpus to be at most ${hostCpuCount} (the CPUs of this host), got ${cpus}`, {
        hint: `a quota above ${hostCpuCount} CPUs would not limit anything; lower --cpus or leave it out`,
      });
    }
  }
  if (pidsLimit !== undefined && (!Number.isSafeInteger(pidsLimit) || pidsLimit < 1)) {
    throw new InputError(`expected --pids-limit to be a whole number of at least 1, got ${pidsLimit}`);
  }
  if (limits.cpusetCpus !== undefined) validateCpusetCpus(limits.cpusetCpus);
}
