import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, IntegrityError, NotFoundError } from '../../src/errors.js';
import { readRun } from '../../src/results/read-run.js';

const tiny = path.join(import.meta.dirname, '../fixtures/runs/synthetic-tiny/run.json');
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-read-run-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function writeRunDir(name: string, text: string): Promise<string> {
  const runDir = path.join(dir, name);
  await fs.mkdir(runDir);
  await fs.writeFile(path.join(runDir, 'run.json'), text);
  return runDir;
}

describe('readRun', () => {
  it('reads a run directory and the run.json path alike', async () => {
    const fromFile = await readRun(tiny);
    const fromDir = await readRun(path.dirname(tiny));
    expect(fromFile.runId).toBe('synthetic-tiny-0001');
    expect(fromDir).toEqual(fromFile);
  });

  it('refuses a truncated file with IntegrityError naming the file and the likely cause', async () => {
    const text = await fs.readFile(tiny, 'utf8');
    const runDir = await writeRunDir('truncated', text.slice(0, 500));
    const file = path.join(runDir, 'run.json');
    const error = await readRun(runDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not valid JSON \\(.+\\): the run was interrupted while writing or the file is corrupt$`,
      ),
    );
  });

  it('refuses schemaVersion 3 with InputError saying what it reads and how to fix it', async () => {
    const run = JSON.parse(await fs.readFile(tiny, 'utf8'));
    const runDir = await writeRunDir('v3', JSON.stringify({ ...run, schemaVersion: 3 }));
    const error = await readRun(runDir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      `${path.join(runDir, 'run.json')} has schemaVersion 3; this isobench reads schemaVersion 1 and 2`,
    );
    expect((error as InputError).hint).toBe(
      're-run the suite with this isobench, or read the run with the isobench version that wrote it',
    );
  });

  it('refuses a missing path and a directory without run.json with NotFoundError', async () => {
    const missing = path.join(dir, 'no-such-run');
    const notThere = await readRun(missing).catch((e: unknown) => e);
    expect(notThere).toBeInstanceOf(NotFoundError);
    expect((notThere as Error).message).toBe(`no run at ${missing}: the path does not exist`);
    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    const noFile = await readRun(empty).catch((e: unknown) => e);
    expect(noFile).toBeInstanceOf(NotFoundError);
    expect((noFile as Error).message).toBe(`no run.json in ${empty}`);
  });

  it('refuses valid JSON that does not match the schema, naming the field', async () => {
    const run = JSON.parse(await fs.readFile(tiny, 'utf8'));
    run.series[0].target = 'docker';
    const runDir = await writeRunDir('bad-target', JSON.stringify(run));
    await expect(readRun(runDir)).rejects.toThrow(/does not match the run schema \(series\.0\.target: /);
  });

  it('accepts a run that is not complete (the report flags it)', async () => {
    const run = await readRun(path.join(import.meta.dirname, '../fixtures/runs/synthetic-kvm-interrupted'));
    expect(run.status).toBe('interrupted');
  });
});
