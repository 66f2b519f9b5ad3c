// What a load generator's output is turned into: the workload metrics it reports, in base units
// (per_s, bytes_per_s, ns). A parser leaves out what its tool did not report.
import { WorkloadError } from '../../errors.js';

export interface LoadFigures {
  'workload.requests_per_s'?: number;
  'workload.throughput'?: number;
  'workload.latency_p50'?: number;
  'workload.latency_p99'?: number;
}

export type LoadParser = (output: string) => LoadFigures;

/** The error of a parser that did not find what its tool always prints. */
export function unparsable(tool: string, missing: string, output: string): WorkloadError {
  const tail = output.trim().split('\n').slice(-3).join(' | ');
  return new WorkloadError(`could not read ${missing} from the ${tool} output`, {
    hint: tail ? `last output: ${tail}` : `${tool} printed nothing`,
  });
}

/** A finite, non-negative number or undefined. */
export function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
