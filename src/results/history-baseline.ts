// The baseline of `compare --against history`: the last N runs of each of the candidate's
// scenarios recorded on the candidate's host, the candidate itself left out. They stay separate
// runs: compare judges the candidate against each run's median (stats compareWithHistory).
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { RunResult } from '../suite/run-schema.js';
import { historyPath, hostOf, lastRuns, openHistory } from './history.js';

/** The last `limit` runs of each scenario of the candidate, on its host, from <root>/history.sqlite. */
export function readHistoryBaseline(root: string, candidate: RunResult, limit: number): RunResult[] {
  const file = historyPath(root);
  if (!existsSync(file)) {
    throw new InputError(`nothing to compare: there is no history yet (${file} does not exist)`, {
      hint: 'record baseline runs first: `isobench suite run` records each run, or `isobench history --add <run-dir>`',
    });
  }
  const db = openHistory(file);
  try {
    const host = hostOf(candidate);
    const scenarios = [
      ...new Set([...candidate.scenarios.map((s) => s.name), ...candidate.series.map((s) => s.scenario)]),
    ];
    const runs = scenarios.flatMap((scenario) =>
      lastRuns(db, { scenario, host, limit, excludeRunId: candidate.runId }),
    );
    if (runs.length === 0) {
      throw new InputError(
        `nothing to compare: history (${file}) holds no runs of scenarios [${scenarios.join(', ')}] on host ${host}`,
        {
          hint: 'record baseline runs first: `isobench suite run` records each run, or `isobench history --add <run-dir>`',
        },
      );
    }
    return mergeByRunId(runs);
  } finally {
    db.close();
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
