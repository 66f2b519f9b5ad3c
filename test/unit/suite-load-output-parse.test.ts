// The load generators' parsers read output captured from the real tools on a Debian 12 host
// (wrk 4.1, redis-benchmark 7.0, sysbench 1.0.20, fio 3.33, iperf3 3.12): test/fixtures/load-generators.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WorkloadError } from '../../src/errors.js';
import { parseFio } from '../../src/suite/load-output/fio.js';
import { parseIperf3 } from '../../src/suite/load-output/iperf3.js';
import { parseRedisBenchmark } from '../../src/suite/load-output/redis-benchmark.js';
import { parseSysbench } from '../../src/suite/load-output/sysbench.js';
import { parseWrk } from '../../src/suite/load-output/wrk.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/load-generators/${name}`, import.meta.url), 'utf8');

describe('wrk --latency', () => {
  it('reads requests/s, the transfer rate in binary units and p50/p99 in their printed units', () => {
    expect(parseWrk(fixture('wrk.txt'))).toEqual({
      'workload.requests_per_s': 23050.96,
      'workload.throughput': 5.28 * 1024 * 1024,
      'workload.latency_p50': 300_000,
      'workload.latency_p99': 6.92e6,
    });
  });

  it('refuses output without the latency distribution, naming --latency', () => {
    const plain = fixture('wrk.txt').replace(/ {2}Latency Distribution[\s\S]*?99%.*\n/, '');
    expect(() => parseWrk(plain)).toThrow(/--latency/);
  });

  it('refuses output without Requests/sec', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:18080 Connection refused\n')).toThrow(WorkloadError);
  });
});

describe('redis-benchmark --csv', () => {
  it('reads rps and the p50/p99 latencies of the one test', () => {
    const figures = parseRedisBenchmark(fixture('redis-get.csv'));
    expect(figures['workload.requests_per_s']).toBe(21645.02);
    expect(figures['workload.latency_p50']).toBeCloseTo(0.143e6, 3);
    expect(figures['workload.latency_p99']).toBeCloseTo(2.823e6, 3);
  });

  it('refuses several tests in one run: one figure must not mix operations', () => {
    expect(() => parseRedisBenchmark(fixture('redis-set-get.csv'))).toThrow(/2 tests.*exactly one/);
  });

  it('refuses output that is not CSV', () => {
    expect(() => parseRedisBenchmark('GET: 21645.02 requests per second\n')).toThrow(/--csv/);
  });
});

describe('sysbench', () => {
  it('reads cpu events/s and leaves out the default 95th percentile, which has no metric', () => {
    expect(parseSysbench(fixture('sysbench-cpu.txt'))).toEqual({ 'workload.requests_per_s': 669.82 });
  });

  it('reads the 50th percentile when sysbench ran with --percentile=50', () => {
    expect(parseSysbench(fixture('sysbench-cpu-p50.txt'))).toEqual({
      'workload.requests_per_s': 1407.73,
      'workload.latency_p50': 0.24e6,
    });
  });

  it('reads memory operations/s and MiB/s; a 0.00 ms percentile is below resolution and left out', () => {
    expect(parseSysbench(fixture('sysbench-memory.txt'))).toEqual({
      'workload.requests_per_s': 1831045.54,
      'workload.throughput': 1788.13 * 1024 * 1024,
    });
  });

  it('refuses output without a rate', () => {
    expect(() => parseSysbench('FATAL: Cannot find benchmark\n')).toThrow(/rate/);
  });
});

describe('fio --output-format=json', () => {
  it('reads write IOPS, bandwidth and completion-latency percentiles', () => {
    const doc = JSON.parse(fixture('fio-randwrite.json'));
    const write = doc.jobs[0].write;
    expect(parseFio(fixture('fio-randwrite.json'))).toEqual({
      'workload.requests_per_s': write.iops,
      'workload.throughput': write.bw_bytes,
      'workload.latency_p50': write.clat_ns.percentile['50.000000'],
      'workload.latency_p99': write.clat_ns.percentile['99.000000'],
    });
    expect(write.iops).toBeGreaterThan(0);
  });

  it('takes the percentiles of the direction that did the I/O (a read job)', () => {
    const doc = JSON.parse(fixture('fio-read.json'));
    const figures = parseFio(fixture('fio-read.json'));
    expect(figures['workload.latency_p99']).toBe(doc.jobs[0].read.clat_ns.percentile['99.000000']);
    expect(figures['workload.throughput']).toBe(doc.jobs[0].read.bw_bytes);
  });

  it('skips notes fio prints before the JSON document', () => {
    const noted = `note: both iodepth >= 1 and synchronous I/O engine are selected\n${fixture('fio-read.json')}`;
    expect(parseFio(noted)).toEqual(parseFio(fixture('fio-read.json')));
  });

  it('refuses the normal text output', () => {
    expect(() => parseFio('randwrite: (groupid=0, jobs=1): err= 0\n')).toThrow(/--output-format=json/);
  });
});

describe('iperf3 -J', () => {
  it("reads the receiver's rate as bytes per second", () => {
    const doc = JSON.parse(fixture('iperf3.json'));
    expect(parseIperf3(fixture('iperf3.json'))).toEqual({
      'workload.throughput': doc.end.sum_received.bits_per_second / 8,
    });
  });

  it("reports iperf3's own error", () => {
    expect(() => parseIperf3('{"start":{},"error":"unable to connect to server: Connection refused"}')).toThrow(
      /iperf3 failed: unable to connect/,
    );
  });
});
