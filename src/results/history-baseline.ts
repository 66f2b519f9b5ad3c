// The baseline of `compare --against history`: the last N runs of each of the candidate's
// scenarios recorded on the candidate's host, the candidate itself left out. They stay separate
// runs: compare judges the candidate against each run's median (stats compareWithHistory).
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { RunResult } from '../suite/run-schema.js';
import { hostOf, lastRuns, openHistory } from './history.js';
import type { HistoryLocation } from './history-location.js';

const RECORD_HINT =
  'record baseline runs first: `isobench suite run` records each run, or `isobench history --add <run-dir>`';

/** The last `limit` runs of each scenario of the candidate, on its host, from the history at `location`. */
export async function readHistoryBaseline(
  location: HistoryLocation,
  candidate: RunResult,
  limit: number,
): Promise<RunResult[]> {
  if (location.kind === 'sqlite' && !existsSync(location.file)) {
    throw new InputError(`nothing to compare: there is no history yet (${location.file} does not exist)`, {
      hint: RECORD_HINT,
    });
  }
  const db = await openHistory(location);
  try {
    const host = hostOf(candidate);
    const scenarios = [
      ...new Set([...candidate.scenarios.map((s) => s.name), ...candidate.series.map((s) => s.scenario)]),
    ];
    const runs: RunResult[] = [];
    for (const scenario of scenarios) {
      runs.push(...(await lastRuns(db, { scenario, host, limit, excludeRunId: candidate.runId })));
    }
    if (runs.length === 0) {
      throw new InputError(
        `nothing to compare: history (${location.where}) holds no runs of scenarios [${scenarios.join(', ')}] on host ${host}`,
        { hint: RECORD_HINT },
      );
    }
    return mergeByRunId(runs);
  } finally {
    await db.close();
  }
}

/** lastRuns answers per scenario; a run holding several of them becomes one baseline run again. */
function mergeByRunId(runs: RunResult[]): RunResult[] {
  const merged = new Map<string, RunResult>();
  for (const run of runs) {
    const seen = merged.get(run.runId);
    if (seen)
      merged.set(run.runId, {
        ...seen,
        scenarios: [...seen.scenarios, ...run.scenarios],
        series: [...seen.series, ...run.series],
      });
    else merged.set(run.runId, run);
  }
  return [...merged.values()];
}
