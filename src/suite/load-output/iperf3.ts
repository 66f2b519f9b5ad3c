// iperf3 -J: the receiver's rate for TCP (end.sum_received), the sum for UDP (end.sum), in bits/s.
import { WorkloadError } from '../../errors.js';
import { finite, type LoadParser, unparsable } from './types.js';

interface Iperf3Document {
  error?: unknown;
  end?: { sum_received?: { bits_per_second?: unknown }; sum?: { bits_per_second?: unknown } };
}

export const parseIperf3: LoadParser = (output) => {
  let document: Iperf3Document;
  try {
    document = JSON.parse(output) as Iperf3Document;
  } catch {
    throw unparsable('iperf3', 'a JSON document (run iperf3 with -J)', output);
  }
  if (typeof document.error === 'string') throw new WorkloadError(`iperf3 failed: ${document.error}`);
  const bits = finite(document.end?.sum_received?.bits_per_second) ?? finite(document.end?.sum?.bits_per_second);
  if (bits === undefined) throw unparsable('iperf3', 'end.sum_received.bits_per_second', output);
  return { 'workload.throughput': bits / 8 };
};
