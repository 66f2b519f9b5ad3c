// Shared by the benchmarks: the probe workload as the suite's scenarios run it, and the host's
// load average that every bench prints next to its figures.
import { promises as fs } from 'node:fs';
import type { WorkloadSpec } from '../../src/targets/types.js';

/** The probe program (image built from scenarios/images/probe) with `args`; a 256 MiB, 1-vCPU microvm for the vm target. */
export function probeWorkload(args: string[], readyMarker?: string): WorkloadSpec {
  const workload: WorkloadSpec = {
    image: 'probe',
    args: ['isobench-probe', ...args],
    env: {},
    limits: {},
    vm: { memoryBytes: 256 * 2 ** 20, cpus: 1, machine: 'microvm' },
  };
  if (readyMarker !== undefined) workload.readyMarker = readyMarker;
  return workload;
}

/** The 1, 5 and 15 minute load averages, as /proc/loadavg gives them ("0.52 0.61 0.70"). */
export async function readLoadavg(): Promise<string> {
  return (await fs.readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}
