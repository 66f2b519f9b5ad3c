// vitest inside the test guest (test/guest/): the cgroup-related integration tests, one file at a
// time as on the host, with progress on the serial console and every result on the results disk.
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { GUEST_TEST_FILES, V2_ONLY_TEST_FILES } from './guest-test-files.js';
import { ResultsDiskReporter } from './results-disk-reporter.js';

export default defineConfig({
  // The tests' imports of src/ load the built dist/src/ natively (external to vite-node): under
  // TCG, transforming and serving src/ through vite-node took most of a guest's time.
  resolve: { alias: [{ find: /^(?:\.\.\/)+src\/(.*)$/, replacement: path.resolve('dist/src/$1') }] },
  test: {
    server: { deps: { external: [/\/dist\/src\//] } },
    include: [...GUEST_TEST_FILES, ...V2_ONLY_TEST_FILES],
    fileParallelism: false,
    // One worker process imports src/ once for every file: under TCG each fresh worker spent
    // tens of seconds transforming and loading the same modules again.
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    isolate: false,
    // Under TCG every syscall-heavy step is several times slower than on the host.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['verbose', new ResultsDiskReporter()],
  },
});
