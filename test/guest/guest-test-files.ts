// The integration tests `npm run test:guest` runs inside each test guest: the runtime's
// cgroup-related ones. Shared by the guest's vitest config and the host test that checks them.

/** Test files run in every guest (v1 and v2), relative to the project root. */
export const GUEST_TEST_FILES = [
  'test/integration/cgroups-real.test.ts',
  'test/integration/runtime-cgroups.test.ts',
  'test/integration/runtime-isolation.test.ts',
  'test/integration/runtime-gc.test.ts',
  'test/integration/targets-container.test.ts',
] as const;

/** Test files whose tests run only on a pure cgroup v2 kernel (skipped, with the reason, elsewhere). */
export const V2_ONLY_TEST_FILES = ['test/integration/cgroups-v2-kernel.test.ts'] as const;
