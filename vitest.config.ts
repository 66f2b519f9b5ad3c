import { defineConfig } from 'vitest/config';

// Integration tests mount, clone namespaces and boot QEMU: run files one at a time
// so figures and resources (cgroups, loop of qemu guests) never contend.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
