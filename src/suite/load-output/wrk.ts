// wrk 4 with --latency: "Requests/sec:", "Transfer/sec:" (binary KB/MB/GB) and the latency
// distribution's 50% and 99% lines (us/ms/s).
import { type LoadFigures, type LoadParser, unparsable } from './types.js';

const TIME_NS: Record<string, number> = { us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
// wrk's format_binary divides by 1024 and spells the units KB, MB, GB.
const SIZE_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

export const parseWrk: LoadParser = (output) => {
  const rps = /^Requests\/sec:\s+([0-9.]+)\s*$/m.exec(output);
  if (!rps) throw unparsable('wrk', 'Requests/sec', output);
  const figures: LoadFigures = { 'workload.requests_per_s': Number(rps[1]) };
  const transfer = /^Transfer\/sec:\s+([0-9.]+)(B|KB|MB|GB|TB)\s*$/m.exec(output);
  if (transfer) figures['workload.throughput'] = Number(transfer[1]) * SIZE_BYTES[transfer[2]!]!;
  const p50 = latencyAt(output, '50');
  const p99 = latencyAt(output, '99');
  if (p50 === undefined || p99 === undefined) {
    throw unparsable('wrk', 'the latency distribution (run wrk with --latency)', output);
  }
  figures['workload.latency_p50'] = p50;
  figures['workload.latency_p99'] = p99;
  return figures;
};

function latencyAt(output: string, percent: string): number | undefined {
  const match = new RegExp(`^\\s+${percent}%\\s+([0-9.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(output);
  return match ? Number(match[1]) * TIME_NS[match[2]!]! : undefined;
}
