// `suite run`'s exit status, the CI contract: 8 when a case has no successful iteration on a
// target that was available, 0 when every available target recorded something (skipped targets
// and partial series do not fail a run), 130 when interrupted.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUITE_RUN_EXIT_HELP, suiteRunExitStatus } from '../../src/cli/commands/suite-run.js';
import { EXIT_STATUS } from '../../src/errors.js';
import { packageDir } from '../../src/paths.js';
import { readRun } from '../../src/results/read-run.js';
import type { RunResult, Series } from '../../src/suite/run-schema.js';

const RUNS = path.join(packageDir(), 'test', 'fixtures', 'runs');

/** A run whose series have these statuses, from a real recorded run's first series. */
async function runWith(statuses: Series['status'][], status: RunResult['status'] = 'complete'): Promise<RunResult> {
  const base = await readRun(path.join(RUNS, 'synthetic-tiny'));
  const template = base.series[0]!;
  return { ...base, status, series: statuses.map((s) => ({ ...template, status: s })) };
}

describe('suite run exit status', () => {
  it('is 0 when every series recorded samples, or was skipped because the host lacks the target', async () => {
    expect(suiteRunExitStatus(await runWith(['ok', 'ok']))).toBe(0);
    expect(suiteRunExitStatus(await runWith(['ok', 'skipped']))).toBe(0);
    expect(suiteRunExitStatus(await runWith(['partial', 'ok']))).toBe(0);
    expect(suiteRunExitStatus(await runWith([]))).toBe(0);
  });

  it('is the workload status (8) when one series of an available target recorded nothing', async () => {
    expect(EXIT_STATUS.WORKLOAD).toBe(8);
    expect(suiteRunExitStatus(await runWith(['ok', 'failed', 'skipped']))).toBe(8);
    expect(suiteRunExitStatus(await runWith(['failed', 'failed']))).toBe(8);
  });

  it('is 130 when interrupted, whatever finished', async () => {
    expect(suiteRunExitStatus(await runWith(['failed'], 'interrupted'))).toBe(130);
    expect(suiteRunExitStatus(await runWith(['ok'], 'interrupted'))).toBe(130);
  });

  it('is documented in `suite run --help` with the statuses it returns', () => {
    for (const status of [0, EXIT_STATUS.INPUT, EXIT_STATUS.WORKLOAD, EXIT_STATUS.INTERRUPTED]) {
      expect(SUITE_RUN_EXIT_HELP).toMatch(new RegExp(`^  ${status} `, 'm'));
    }
  });
});
