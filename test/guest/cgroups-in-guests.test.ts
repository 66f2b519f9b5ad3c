// `npm run test:guest`: isobench's runtime on real cgroup kernels it cannot find on a hybrid host.
// The test image (guest-image.ts) boots as two isobench VMs at once, with pure cgroup v2 and with
// v1 only (src/vm/guest-init.ts mounts them as systemd would); inside, vitest runs the runtime's
// cgroup-related integration tests (guest-test-files.ts), and this test fails if any of them does.
// Hybrid, the third layout, is what the host's own integration tests run on.
// Time budget: each guest is killed after GUEST_TIMEOUT_MS (a failure); see README for the
// duration measured here under TCG.
import { beforeAll, describe, expect, it } from 'vitest';
import { rootLayout } from '../../src/paths.js';
import { requireHost } from '../support/host.js';
import { buildGuestImage, guestCacheRoot, pruneGuestCache } from './guest-image.js';
import { checkGuestRun, formatGuestRun } from './guest-run-check.js';
import { type GuestRun, runTestGuest } from './guest-vm.js';

await requireHost('root', 'qemu');

/** Per guest, boot to power-off; the two guests run concurrently. */
export const GUEST_TIMEOUT_MS = 8 * 60_000;
/** Staging and building the image: seconds when every step is cached, a minute or two when none is. */
const BUILD_TIMEOUT_MS = 5 * 60_000;
const LAYOUTS = ['v2', 'v1'] as const;

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('the runtime in VM guests with cgroup v2 and v1 kernels (needs root, QEMU)', () => {
  const layout = rootLayout(guestCacheRoot());
  const runs = new Map<(typeof LAYOUTS)[number], Promise<GuestRun>>();

  beforeAll(async () => {
    const image = await buildGuestImage(layout);
    const pruned = await pruneGuestCache(layout, image.digest);
    console.log(
      `test image ${image.digest.slice(0, 19)} in ${guestCacheRoot()}: ${image.cachedSteps}/${image.steps} steps cached, ${(image.durationMs / 1000).toFixed(1)} s` +
        (pruned.length > 0 ? `; removed ${pruned.length} image(s) unused for an hour` : ''),
    );
    for (const cgroups of LAYOUTS) {
      const run = runTestGuest(layout, image.digest, cgroups, { timeoutMs: GUEST_TIMEOUT_MS });
      // Handled here so a guest failing before its test awaits it is no unhandled rejection.
      run.catch(() => undefined);
      runs.set(cgroups, run);
    }
  }, BUILD_TIMEOUT_MS);

  it.each(LAYOUTS)(
    'passes every cgroup test of the runtime in a %s guest',
    async (cgroups) => {
      const run = await runs.get(cgroups)!;
      console.log(formatGuestRun(run));
      expect(checkGuestRun(run)).toEqual([]);
    },
    GUEST_TIMEOUT_MS + 60_000,
  );
});
