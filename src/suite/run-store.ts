// Where runs are kept: one directory per run (results/<runId>/ or --out DIR) holding run.json,
// rewritten atomically after every finished series so an interrupted run keeps what it finished.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import type { RunResult } from './run-schema.js';

export const RUN_FILE = 'run.json';

/**
 * A run id sortable by time and unique across hosts: 2026-11-28T04-05-06Z-default-3f9a1c. The
 * random suffix keeps runs that start in the same second (CI runners sharing one history) apart:
 * the history keys runs by this id and keeps the first of two equal ids.
 */
export function newRunId(scenarioNames: string[], now = new Date(), suffix = randomBytes(3).toString('hex')): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  const label = scenarioNames.length === 1 ? scenarioNames[0] : `${scenarioNames.length}-scenarios`;
  return `${stamp}-${label}-${suffix}`;
}

/**
 * Creates the run directory: `outDir` itself when given (must be absent or empty), else
 * `<resultsDir>/<runId>`. Returns its absolute path.
 */
export async function createRunDir(options: { outDir?: string; resultsDir: string; runId: string }): Promise<string> {
  const dir = path.resolve(options.outDir ?? path.join(options.resultsDir, options.runId));
  await fs.mkdir(dir, { recursive: true });
  const entries = await fs.readdir(dir);
  if (entries.includes(RUN_FILE)) {
    throw new InputError(`${dir} already holds a run (${RUN_FILE})`, {
      hint: 'choose another --out directory, or remove the old run first',
    });
  }
  return dir;
}

/** Writes run.json atomically (temp file + fsync + rename). */
export async function writeRun(runDir: string, run: RunResult): Promise<void> {
  await writeJsonAtomic(path.join(runDir, RUN_FILE), run);
}
