// `suite run` through the real CLI on the native target: a case whose every iteration fails
// exits 8 (EXIT_STATUS.WORKLOAD) after writing run.json and recording the run; one that works
// exits 0. The native target needs neither root nor QEMU.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_STATUS } from '../../src/errors.js';
import { readRun } from '../../src/results/read-run.js';
import { runCliInProcess } from '../fixtures/cli-in-process.js';

const scenario = (name: string, command: string[]) => `schemaVersion: 1
name: ${name}
description: exit status check
defaults:
  targets: [native]
  warmup: 0
  iterations: 2
cases:
  - name: only
    measure: startup
    command: ${JSON.stringify(command)}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-suite-exit-'));
  await writeFile(path.join(dir, 'fails.yaml'), scenario('fails', ['sh', '-c', 'exit 3']));
  await writeFile(path.join(dir, 'works.yaml'), scenario('works', ['true']));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('suite run exit status (native)', () => {
  it('exits 8 when a case has no successful iteration, and still keeps the run', async () => {
    const out = path.join(dir, 'run-fails');
    const result = await runCliInProcess(path.join(dir, 'root'), [
      'suite',
      'run',
      '--no-report',
      '--out',
      out,
      path.join(dir, 'fails.yaml'),
    ]);
    expect(result.status).toBe(EXIT_STATUS.WORKLOAD);
    expect(result.stderr).toContain('isobench: fails/only native: failed: ');
    expect(result.stderr).toContain(
      'isobench: 1 of 1 series recorded no successful iteration on an available target (exit 8)\n',
    );
    const run = await readRun(out);
    expect(run.series.map((s) => s.status)).toEqual(['failed']);
    expect(existsSync(path.join(dir, 'root', 'history.sqlite'))).toBe(true);
  });

  it('exits 0 when every case recorded its iterations', async () => {
    const out = path.join(dir, 'run-works');
    const result = await runCliInProcess(path.join(dir, 'root'), [
      'suite',
      'run',
      '--no-report',
      '--out',
      out,
      path.join(dir, 'works.yaml'),
    ]);
    expect(result.stderr).not.toContain('no successful iteration');
    expect(result.status).toBe(0);
    expect((await readRun(out)).series.map((s) => s.status)).toEqual(['ok']);
  });
});
