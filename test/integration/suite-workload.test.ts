// A tiny version of scenarios/workload.yaml end to end on native and container: nginx under wrk and
// Redis under redis-benchmark, 1 iteration, about a second of load each. Checks that every figure is
// there and positive, never how large it is. The nginx and redis images are built FROM debian in a
// state root kept in the shared cache (ISOBENCH_CACHE): the build cache keys every step by its
// content, so a later run rebuilds nothing unless a recipe or the debian rootfs changed.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheLayout, rootLayout } from '../../src/paths.js';
import { writeReport } from '../../src/report/write-report.js';
import { loadScenario } from '../../src/scenario/index.js';
import type { Progress } from '../../src/suite/progress.js';
import { runSuite } from '../../src/suite/run-suite.js';
import { createTarget } from '../../src/targets/index.js';
import { requireHost } from '../support/host.js';

await requireHost('root', 'workload-tools', 'debian-rootfs');

const NGINX = [
  'mkdir -p html tmp && echo hello > html/index.html &&',
  "echo 'user root root; worker_processes 1; pid nginx.pid; error_log stderr; daemon off;",
  'events { worker_connections 64; } http { access_log off; client_body_temp_path tmp; proxy_temp_path tmp;',
  'fastcgi_temp_path tmp; uwsgi_temp_path tmp; scgi_temp_path tmp;',
  "server { listen 127.0.0.1:18181; root html; } }' > nginx.conf &&",
  'exec nginx -p "$PWD/" -c "$PWD/nginx.conf"',
].join(' ');

const TINY = `schemaVersion: 1
name: tiny-workload
description: workload smoke run
defaults:
  targets: [native, container]
  warmup: 0
  iterations: 1
  timeoutSeconds: 300
  network: host
cases:
  - name: nginx
    measure: workload
    image: nginx
    command: [sh, -c, ${JSON.stringify(NGINX)}]
    workload:
      port: 18181
      check: http
      path: /index.html
      client: [wrk, -t1, -c4, -d1s, --latency, http://127.0.0.1:18181/index.html]
      parser: wrk
  - name: redis
    measure: workload
    image: redis
    command: [sh, -c, 'exec redis-server --port 16479 --bind 127.0.0.1 --save "" --appendonly no']
    workload:
      port: 16479
      check: redis
      client: [redis-benchmark, -h, 127.0.0.1, -p, '16479', -t, get, -c, '4', -n, '5000', --csv]
      parser: redis-benchmark
`;

const quiet: Progress = { start() {}, tick() {}, skip() {}, note() {}, stop() {} };

describe('the workload measure end to end (native, container)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-workload-'));
    await writeFile(path.join(dir, 'tiny-workload.yaml'), TINY);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records first response, requests/s, latency and the server memory for nginx and redis', async () => {
    const layout = rootLayout(path.join(cacheLayout().root, 'image-roots', 'workload'));
    const runDir = path.join(dir, 'run');
    const run = await runSuite({
      runId: 'workload',
      runDir,
      scenarios: [{ scenario: await loadScenario(path.join(dir, 'tiny-workload.yaml')), sha256: 'workload' }],
      createTarget: (kind) => createTarget(kind, layout),
      progress: quiet,
      signal: new AbortController().signal,
      environment: {} as never,
      isobench: { version: 'test', commit: null, dirty: null },
      overrides: {},
    });
    expect(
      run.series.map((s) => `${s.case}:${s.target}:${s.status}:${s.reason ?? s.iterations[0]?.error ?? ''}`).sort(),
    ).toEqual(['nginx:container:ok:', 'nginx:native:ok:', 'redis:container:ok:', 'redis:native:ok:']);
    for (const series of run.series) {
      const expected = ['startup.first_response', 'workload.requests_per_s', 'workload.latency_p50', 'memory.pss'];
      if (series.case === 'nginx') expected.push('workload.throughput', 'workload.latency_p99');
      for (const metric of expected) {
        const values = series.metrics[metric]?.samples ?? [];
        expect(values, `${series.case}/${series.target} ${metric}`).toHaveLength(1);
        expect(values[0]!, `${series.case}/${series.target} ${metric}`).toBeGreaterThan(0);
      }
      expect(series.metrics['workload.requests_per_s']!.unit).toBe('per_s');
    }
    await writeReport([run], path.join(runDir, 'report'));
    const markdown = await readFile(path.join(runDir, 'report', 'report.md'), 'utf8');
    expect(markdown).toMatch(/\| native \| workload\.requests\\_per\\_s \| 1 \| [0-9.]+ k?\/s/);
    expect(markdown).toContain('startup.first\\_response');
  }, 600_000);
});
