// Copies a history from one backend to another (SQLite -> PostgreSQL when a team starts sharing,
// PostgreSQL -> SQLite for a backup): every run, row for row, each in its own transaction, so a
// copy that stops half-way leaves whole runs and can simply be run again.
import { insertStoredRun, listRunIds, openHistory, readStoredRun } from './history.js';
import type { HistoryLocation } from './history-location.js';

/** What a copy did. */
export interface HistoryCopyResult {
  /** Runs the destination did not hold and now does. */
  copiedRuns: number;
  /** Runs the destination held already (same run id): left as they were. */
  presentRuns: number;
  /** Samples written to the destination. */
  copiedSamples: number;
}

/**
 * Copies every run of `from` that `to` lacks, oldest first; both are migrated on open.
 * @param onRun - called after each run (for progress), with its id and whether it was copied.
 */
export async function copyHistory(
  from: HistoryLocation,
  to: HistoryLocation,
  onRun: (runId: string, copied: boolean) => void = () => {},
): Promise<HistoryCopyResult> {
  const source = await openHistory(from);
  try {
    const destination = await openHistory(to);
    try {
      const result: HistoryCopyResult = { copiedRuns: 0, presentRuns: 0, copiedSamples: 0 };
      for (const runId of await listRunIds(source)) {
        const stored = await readStoredRun(source, runId);
        if (!stored) continue; // removed by someone else since the listing
        const { samples, inserted } = await insertStoredRun(destination, stored);
        if (inserted) {
          result.copiedRuns += 1;
          result.copiedSamples += samples;
        } else {
          result.presentRuns += 1;
        }
        onRun(runId, inserted);
      }
      return result;
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}
