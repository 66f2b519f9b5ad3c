import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/commands/report.js';
import { makeCliContext } from '../../src/cli/context.js';
import { ConflictError } from '../../src/errors.js';
import { REPORT_MARKER, writeReport } from '../../src/report/write-report.js';
import { readRun } from '../../src/results/read-run.js';

const fixtures = path.join(import.meta.dirname, '../fixtures/runs');
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-report-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('writeReport', () => {
  it('writes every file, then replaces its own earlier report, leaving no temp dir', async () => {
    const runs = [await readRun(path.join(fixtures, 'synthetic-tiny'))];
    const out = path.join(dir, 'out');
    const { files } = await writeReport(runs, out);
    expect(files.map((file) => path.relative(out, file))).toEqual([
      'report.md',
      'report.html',
      'summary.csv',
      'samples.csv',
      'report.json',
      'startup-hyperfine.json',
      'charts/startup-tiny-hello.png',
      'charts/startup-tiny-hello.svg',
    ]);
    for (const file of files) expect((await fs.stat(file)).size).toBeGreaterThan(0);
    await fs.writeFile(path.join(out, 'stale.txt'), 'from an older report');
    await writeReport(runs, out);
    expect((await fs.readdir(out)).sort()).toEqual(
      [
        REPORT_MARKER,
        'charts',
        'report.html',
        'report.json',
        'report.md',
        'samples.csv',
        'startup-hyperfine.json',
        'summary.csv',
      ].sort(),
    );
    expect((await fs.readdir(dir)).sort()).toEqual(['out']);
  });

  it('refuses to replace a directory that is not an isobench report', async () => {
    const precious = path.join(dir, 'precious');
    await fs.mkdir(precious);
    await fs.writeFile(path.join(precious, 'notes.txt'), 'keep me');
    const runs = [await readRun(path.join(fixtures, 'synthetic-tiny'))];
    await expect(writeReport(runs, precious)).rejects.toBeInstanceOf(ConflictError);
    expect(await fs.readdir(precious)).toEqual(['notes.txt']);
  });
});

describe('reportCommand', () => {
  it('writes into <first run dir>/report by default and prints the paths', async () => {
    const runDir = path.join(dir, 'run-a');
    await fs.mkdir(runDir);
    await fs.copyFile(path.join(fixtures, 'synthetic-tiny/run.json'), path.join(runDir, 'run.json'));
    const ctx = { ...makeCliContext(dir), stdout: new PassThrough(), stderr: new PassThrough() };
    let printed = '';
    ctx.stdout.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
    });
    expect(await reportCommand(ctx, [runDir], {})).toBe(0);
    const lines = printed.trimEnd().split('\n');
    expect(lines[0]).toBe(path.join(runDir, 'report', 'report.md'));
    expect(lines).toHaveLength(8);
  });

  it('warns on stderr about an interrupted run', async () => {
    const ctx = { ...makeCliContext(dir), stdout: new PassThrough(), stderr: new PassThrough() };
    let warned = '';
    ctx.stderr.on('data', (chunk: Buffer) => {
      warned += chunk.toString();
    });
    const out = path.join(dir, 'merged');
    await reportCommand(
      ctx,
      [path.join(fixtures, 'synthetic-tiny'), path.join(fixtures, 'synthetic-kvm-interrupted')],
      {
        out,
      },
    );
    expect(warned).toBe('warning: run synthetic-kvm-0001 is interrupted, not complete: its figures may be missing\n');
    expect(await fs.readFile(path.join(out, 'report.md'), 'utf8')).toContain('**interrupted**');
  });
});
