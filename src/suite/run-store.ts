// Where runs are kept: one directory per run (results/<runId>/ or --out DIR) holding run.json,
// rewritten atomically after every finished series so an interrupted run keeps what it finished.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { writeJsonAtomic } from '../util/atomic.js';
import type { RunResult } from './run-schema.js';

export const RUN_FILE = 'run.json';

/** A run id sortable by time: 2026-11-28T04-05-06Z-default. */
export function newRunId(scenarioNames: string[], now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  const label = scenarioNames.length === 1 ? scenarioNames[0] : `${scenarioNames.length}-scenarios`;
  return `${stamp}-${label}`;
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
