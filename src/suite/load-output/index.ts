// Load generator name (a scenario's workload.parser) -> the parser of its output.
import type { WorkloadParser } from '../../scenario/index.js';
import { parseFio } from './fio.js';
import { parseIperf3 } from './iperf3.js';
import { parseRedisBenchmark } from './redis-benchmark.js';
import { parseSysbench } from './sysbench.js';
import type { LoadParser } from './types.js';
import { parseWrk } from './wrk.js';

export const LOAD_PARSERS: Record<WorkloadParser, LoadParser> = {
  wrk: parseWrk,
  'redis-benchmark': parseRedisBenchmark,
  sysbench: parseSysbench,
  fio: parseFio,
  iperf3: parseIperf3,
};

export type { LoadFigures, LoadParser } from './types.js';
