// The table of exit codes that `--help` prints and the README shows, generated from src/errors.ts
// (EXIT_STATUS, ERROR_CODE_MEANING, EXIT_ANSWER) so the documentation cannot drift from the code.
import { ERROR_CODE_MEANING, type ErrorCode, EXIT_ANSWER, EXIT_STATUS } from '../errors.js';

/** Exit statuses of a command whose own status is the workload's (run, exec, vm run attached). */
export const WORKLOAD_EXEC_STATUS = {
  /** The command was found but cannot be executed (as a shell says it). */
  notExecutable: 126,
  /** The command was not found in the container or guest. */
  notFound: 127,
} as const;

export interface ExitCodeRow {
  /** "0", "2", "126, 127", "other". */
  status: string;
  meaning: string;
}

/** Every exit status isobench uses, lowest first, with what it means. */
export function exitCodeRows(): ExitCodeRow[] {
  const byStatus = new Map<number, string[]>();
  for (const [code, status] of Object.entries(EXIT_STATUS) as Array<[ErrorCode, number]>) {
    byStatus.set(status, [...(byStatus.get(status) ?? []), ERROR_CODE_MEANING[code]]);
  }
  byStatus.set(EXIT_ANSWER.yes, ['success (`compare`: no regression; `doctor`: every required check passed)']);
  byStatus.set(EXIT_ANSWER.no, [
    '`compare`: a metric regressed or a candidate series failed; `doctor`: a required check failed',
  ]);
  byStatus.set(WORKLOAD_EXEC_STATUS.notExecutable, ['`run`, `exec`, `vm run`: the command cannot be executed']);
  byStatus.set(WORKLOAD_EXEC_STATUS.notFound, ['`run`, `exec`, `vm run`: the command was not found']);
  const rows = [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, meanings]) => ({ status: String(status), meaning: meanings.join('; ') }));
  rows.push({
    status: 'other',
    meaning: '`run`, `exec`, `vm run` (attached): the exit status of the workload itself',
  });
  return rows;
}

/** The table as `--help` prints it: aligned plain text, backticks dropped. */
export function formatExitCodesText(rows = exitCodeRows()): string {
  const width = Math.max(...rows.map((r) => r.status.length));
  return rows.map((r) => `  ${r.status.padEnd(width)}  ${r.meaning.replaceAll('`', '')}`).join('\n');
}

/** The table as the README holds it: a Markdown table. */
export function formatExitCodesMarkdown(rows = exitCodeRows()): string {
  return ['| status | meaning |', '| --- | --- |', ...rows.map((r) => `| ${r.status} | ${r.meaning} |`)].join('\n');
}
