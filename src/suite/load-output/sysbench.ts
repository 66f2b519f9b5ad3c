// sysbench 1.0 text output: the rate (cpu "events per second", memory "Total operations (.. per
// second)", oltp "transactions: (.. per sec.)"), memory's "MiB/sec", and the one latency percentile
// it prints (--percentile=50 or 99; 95 by default, which has no metric). Latencies of 0.00 ms are
// below sysbench's resolution and left out rather than recorded as zero.
import { type LoadFigures, type LoadParser, unparsable } from './types.js';

const MIB = 1024 * 1024;

export const parseSysbench: LoadParser = (output) => {
  const rate =
    /events per second:\s+([0-9.]+)/.exec(output) ??
    /transactions:\s+\d+\s+\(([0-9.]+) per sec\.\)/.exec(output) ??
    /Total operations:\s+\d+\s+\(([0-9.]+) per second\)/.exec(output);
  if (!rate) throw unparsable('sysbench', 'a rate (events per second, transactions or operations)', output);
  const figures: LoadFigures = { 'workload.requests_per_s': Number(rate[1]) };
  const mib = /\(([0-9.]+) MiB\/sec\)/.exec(output);
  if (mib) figures['workload.throughput'] = Number(mib[1]) * MIB;
  const percentile = /^\s+(\d+)th percentile:\s+([0-9.]+)\s*$/m.exec(output);
  if (percentile && Number(percentile[2]) > 0) {
    const ns = Number(percentile[2]) * 1e6;
    if (percentile[1] === '50') figures['workload.latency_p50'] = ns;
    if (percentile[1] === '99') figures['workload.latency_p99'] = ns;
  }
  return figures;
};
