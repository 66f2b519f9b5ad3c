// Boots the test image as a VM with a cgroup layout (src/vm: guest-tests definition, Debian's
// kernel), lets its vitest run the guest test files, and reads the report from the results disk.
// Why a disk and not the serial console: the disk carries exact bytes with a length and checksum,
// whatever the kernel prints on the console meanwhile (an OOM report, a warning) and however the
// tty layer rewrites line ends; the console stays the live, human-readable progress.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RootLayout } from '../../src/paths.js';
import { type GuestCgroupLayout, runVm } from '../../src/vm/index.js';
import type { Accel } from '../../src/vocabulary.js';
import { decodeGuestReport, type GuestReport } from './guest-report.js';

/** The guest definition in vm-images/. */
export const GUEST_DEFINITION = 'guest-tests';

/** Size of the raw results disk (sparse): far above a report of a few hundred tests. */
const RESULTS_DISK_BYTES = 16 * 1024 * 1024;

/** One guest run as the host saw it. */
export interface GuestRun {
  cgroups: GuestCgroupLayout;
  exitCode: number;
  accel: Accel;
  /** `uname -r` of the guest kernel. */
  kernelRelease: string;
  /** The report, or why there is none. */
  report: GuestReport | { error: string };
  /** Host wall time from launch to QEMU's exit, in ms. */
  durationMs: number;
  /** Everything the guest printed after ready (vitest's progress). */
  output: string;
}

/**
 * Runs the image `digest` of the store under `layout` with `cgroups` mounted in the guest.
 * ISOBENCH_EXPECT_CGROUPS tells the guest tests which layout the host booted, so they check
 * isobench's own detection against it. QEMU is gone and the results disk removed when this settles.
 */
export async function runTestGuest(
  layout: RootLayout,
  digest: string,
  cgroups: 'v1' | 'v2',
  options: { timeoutMs: number; onOutput?: (text: string) => void },
): Promise<GuestRun> {
  await fs.mkdir(layout.tmp, { recursive: true });
  const dir = await fs.mkdtemp(path.join(layout.tmp, `guest-results-${process.pid}-`));
  const disk = path.join(dir, 'results.raw');
  try {
    await fs.writeFile(disk, '');
    await fs.truncate(disk, RESULTS_DISK_BYTES);
    let output = '';
    const started = Date.now();
    const result = await runVm(layout, {
      image: digest,
      definition: GUEST_DEFINITION,
      cgroups,
      dataDisks: [disk],
      // CI: vitest prints plain lines (no live summary redrawn with escape codes on the console).
      env: ['CI=1', 'NO_COLOR=1', `ISOBENCH_EXPECT_CGROUPS=${cgroups}`],
      timeoutMs: options.timeoutMs,
      stdout: (text) => {
        output += text;
        options.onOutput?.(text);
      },
    });
    const durationMs = Date.now() - started;
    let report: GuestRun['report'];
    try {
      report = decodeGuestReport(await fs.readFile(disk));
    } catch (error) {
      report = { error: (error as Error).message };
    }
    return {
      cgroups,
      exitCode: result.exitCode,
      accel: result.accel,
      kernelRelease: result.kernelRelease,
      report,
      durationMs,
      output,
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
