// What the test guest hands back to the host: one record per test vitest ran, written to the
// guest's results disk as a header line (length and SHA-256) and JSON. The disk is a raw file
// the host reads after QEMU exits, so a report is either complete and intact or rejected.
import { createHash } from 'node:crypto';

/** One test as the guest's vitest ended it. */
export interface GuestTestRecord {
  /** Test file relative to the project root, e.g. test/integration/cgroups-real.test.ts. */
  file: string;
  /** Suite names and the test name, joined with ' > '. */
  name: string;
  state: 'passed' | 'failed' | 'skipped' | 'pending';
  durationMs?: number;
  /** First lines of each error of a failed test. */
  errors: string[];
}

/** The whole report of one guest run. */
export interface GuestReport {
  version: 1;
  /** `uname -r` of the guest. */
  kernelRelease: string;
  /** The guest's cgroup mounts (fstype and mount point), as its /proc/self/mountinfo lists them. */
  cgroupMounts: string[];
  /** How vitest ended the run. */
  reason: string;
  tests: GuestTestRecord[];
  /** Errors outside any test (a file that failed to load, an unhandled rejection). */
  unhandledErrors: string[];
}

const MAGIC = 'isobench-guest-report';

/** The bytes the guest writes to its results disk: `<MAGIC> 1 <length> <sha256>\n<json>`. Pure. */
export function encodeGuestReport(report: GuestReport): Buffer {
  const json = Buffer.from(JSON.stringify(report));
  const sha256 = createHash('sha256').update(json).digest('hex');
  return Buffer.concat([Buffer.from(`${MAGIC} 1 ${json.length} ${sha256}\n`), json]);
}

/**
 * Reads a report back from the start of a results disk (the rest of the disk is ignored).
 * @throws Error saying what is wrong: no report, truncated, or not matching its checksum.
 */
export function decodeGuestReport(disk: Buffer): GuestReport {
  const newline = disk.indexOf(0x0a);
  const header = newline < 0 ? '' : disk.subarray(0, Math.min(newline, 200)).toString('latin1');
  const match = new RegExp(`^${MAGIC} 1 (\\d{1,10}) ([0-9a-f]{64})$`).exec(header);
  if (!match) throw new Error('the results disk holds no guest report (the guest ended before writing one)');
  const length = Number(match[1]);
  const json = disk.subarray(newline + 1, newline + 1 + length);
  if (json.length !== length) throw new Error(`the guest report is truncated: ${json.length} of ${length} bytes`);
  if (createHash('sha256').update(json).digest('hex') !== match[2]) {
    throw new Error('the guest report does not match its SHA-256: the results disk was corrupted');
  }
  const report = JSON.parse(json.toString('utf8')) as GuestReport;
  if (report.version !== 1 || !Array.isArray(report.tests)) throw new Error('the guest report has an unknown shape');
  return report;
}
