// redis-benchmark --csv (Redis 7): a header row, then one row per test with rps and latencies in ms.
// A workload case measures one test (-t get): several rows would mix operations in one figure.
import { WorkloadError } from '../../errors.js';
import { type LoadParser, unparsable } from './types.js';

export const parseRedisBenchmark: LoadParser = (output) => {
  const rows = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('"'))
    .map((line) => line.split(',').map((cell) => cell.replace(/^"|"$/g, '')));
  const header = rows.find((row) => row[0] === 'test');
  if (!header) throw unparsable('redis-benchmark', 'the CSV header (run it with --csv)', output);
  const tests = rows.filter((row) => row !== header && row[0] !== 'test');
  if (tests.length !== 1) {
    throw new WorkloadError(`redis-benchmark reported ${tests.length} tests; a workload case measures exactly one`, {
      hint: 'name one test with -t, e.g. -t get',
    });
  }
  const row = tests[0]!;
  const column = (name: string): number => {
    const value = Number(row[header.indexOf(name)]);
    if (header.indexOf(name) < 0 || !Number.isFinite(value)) throw unparsable('redis-benchmark', name, output);
    return value;
  };
  return {
    'workload.requests_per_s': column('rps'),
    'workload.latency_p50': column('p50_latency_ms') * 1e6,
    'workload.latency_p99': column('p99_latency_ms') * 1e6,
  };
};
