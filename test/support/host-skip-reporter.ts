// Prints, after a run, what was skipped because the host lacks something (host.ts), grouped by
// reason, so a partial run says plainly what it did not test and how to test it.
import type { Reporter, TestModule } from 'vitest/node';

export default class HostSkipReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    const byReason = new Map<string, { tests: number; files: Set<string> }>();
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped' || result.note === undefined) continue;
        const entry = byReason.get(result.note) ?? { tests: 0, files: new Set<string>() };
        entry.tests++;
        entry.files.add(module.moduleId);
        byReason.set(result.note, entry);
      }
    }
    if (byReason.size === 0) return;
    const lines = ['', 'Skipped because this host lacks what they need (test/support/host.ts):'];
    for (const [reason, { tests, files }] of byReason) {
      lines.push(
        `  ${tests} test${tests === 1 ? '' : 's'} in ${files.size} file${files.size === 1 ? '' : 's'}: ${reason}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}
