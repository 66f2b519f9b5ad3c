// fio --output-format=json (fio 3): IOPS and bandwidth summed over every job and direction, and
// the completion-latency percentiles of the direction with the most I/Os in the first job.
import { finite, type LoadFigures, type LoadParser, unparsable } from './types.js';

interface FioDirection {
  iops?: unknown;
  bw_bytes?: unknown;
  total_ios?: unknown;
  clat_ns?: { percentile?: Record<string, unknown> };
}

const DIRECTIONS = ['read', 'write', 'trim'] as const;

export const parseFio: LoadParser = (output) => {
  const jobs = parseJobs(output);
  let iops = 0;
  let bytesPerS = 0;
  for (const job of jobs) {
    for (const direction of DIRECTIONS) {
      iops += finite(job[direction]?.iops) ?? 0;
      bytesPerS += finite(job[direction]?.bw_bytes) ?? 0;
    }
  }
  const figures: LoadFigures = { 'workload.requests_per_s': iops, 'workload.throughput': bytesPerS };
  const busiest = DIRECTIONS.map((direction) => jobs[0]![direction])
    .filter((d): d is FioDirection => d !== undefined)
    .sort((a, b) => (finite(b.total_ios) ?? 0) - (finite(a.total_ios) ?? 0))[0];
  const percentiles = busiest?.clat_ns?.percentile ?? {};
  const p50 = finite(percentiles['50.000000']);
  const p99 = finite(percentiles['99.000000']);
  if (p50 !== undefined) figures['workload.latency_p50'] = p50;
  if (p99 !== undefined) figures['workload.latency_p99'] = p99;
  return figures;
};

function parseJobs(output: string): Array<Partial<Record<(typeof DIRECTIONS)[number], FioDirection>>> {
  // fio may print notes before the JSON document; it starts at the first line that is "{".
  const start = output.search(/^\{/m);
  let document: unknown;
  try {
    document = JSON.parse(start >= 0 ? output.slice(start) : output);
  } catch {
    throw unparsable('fio', 'a JSON document (run fio with --output-format=json)', output);
  }
  const jobs = (document as { jobs?: unknown }).jobs;
  if (!Array.isArray(jobs) || jobs.length === 0) throw unparsable('fio', 'jobs', output);
  return jobs;
}
