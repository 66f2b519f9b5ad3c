// vitest's runner plus host skips: a file that called requireHost (host.ts) on a host lacking
// what it needs is skipped whole before anything of it runs (no beforeAll, no afterAll), and every
// one of its tests is reported as skipped with the reason as its note.
import type { RunnerTask, RunnerTaskEventPack, RunnerTaskResultPack, RunnerTestFile, RunnerTestSuite } from 'vitest';
import { type VitestRunner, VitestTestRunner } from 'vitest/runners';
import { hostSkipReason, setCollecting } from './host.js';

function isFile(suite: RunnerTestSuite): suite is RunnerTestFile {
  return 'filepath' in suite;
}

function descendants(suite: RunnerTestSuite): RunnerTask[] {
  return suite.tasks.flatMap((task) => (task.type === 'suite' ? [task, ...descendants(task)] : [task]));
}

export default class HostRunner extends VitestTestRunner {
  override onCollectStart(file: RunnerTestFile): void {
    setCollecting(file.filepath);
    super.onCollectStart(file);
  }

  override async onBeforeRunSuite(suite: RunnerTestSuite): Promise<void> {
    const reason = isFile(suite) ? hostSkipReason(suite.filepath) : undefined;
    if (reason !== undefined) {
      // A skipped file runs none of its hooks; its tasks' results are sent here, as the runner
      // would send them for tests it ran.
      suite.mode = 'skip';
      const packs: RunnerTaskResultPack[] = [];
      const events: RunnerTaskEventPack[] = [];
      for (const task of descendants(suite)) {
        task.mode = 'skip';
        // `note` is what a dynamic ctx.skip(note) records; the reporters print it.
        task.result = { state: 'skip', note: reason } as RunnerTask['result'];
        packs.push([task.id, task.result, task.meta]);
        events.push([task.id, task.type === 'suite' ? 'suite-finished' : 'test-finished', undefined]);
      }
      // vitest sets onTaskUpdate on every runner instance (it forwards to the main process).
      await (this as VitestRunner).onTaskUpdate?.(packs, events);
    }
    await super.onBeforeRunSuite(suite);
  }
}
