import { defineConfig } from 'vitest/config';

// Integration tests mount, clone namespaces and boot QEMU: run files one at a time
// so figures and resources (cgroups, loop of qemu guests) never contend.
// The runner skips a file whose host lacks what it declared with requireHost
// (test/support/host.ts); the reporter lists those skips with their reasons at the end.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    runner: './test/support/host-runner.ts',
    hideSkippedTests: true,
    reporters: ['default', './test/support/host-skip-reporter.ts'],
  },
});
