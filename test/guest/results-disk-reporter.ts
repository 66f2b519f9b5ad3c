// A vitest reporter for the test guest: when the run ends it writes every test's result to the
// results disk (the virtio disk whose serial is isobench-data0), which the host reads after QEMU
// exits. Human-readable progress goes to the serial console through vitest's own reporter.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { release } from 'node:os';
import path from 'node:path';
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';
import { encodeGuestReport, type GuestReport, type GuestTestRecord } from './guest-report.js';

/** The serial QEMU gives the first data disk (src/vm/qemu-args.ts). */
export const RESULTS_DISK_SERIAL = 'isobench-data0';

/** /dev/<name> of the virtio disk with `serial`, found through sysfs; undefined when there is none. */
export function findDiskBySerial(serial: string, sysBlock = '/sys/block'): string | undefined {
  for (const name of readdirSync(sysBlock)) {
    try {
      if (readFileSync(path.join(sysBlock, name, 'serial'), 'utf8').trim() === serial) return `/dev/${name}`;
    } catch {
      // Not a virtio disk (no serial attribute).
    }
  }
  return undefined;
}

function errorLines(error: SerializedError): string {
  return (error.stack ?? error.message ?? String(error)).split('\n').slice(0, 12).join('\n');
}

function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => /^cgroup2?$/.test(fields[fields.indexOf('-') + 1] ?? ''))
    .map((fields) => `${fields[fields.indexOf('-') + 1]} ${fields[4]}`);
}

/** Builds the report from vitest's modules. */
export function buildGuestReport(
  modules: ReadonlyArray<TestModule>,
  unhandled: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
  root: string,
): GuestReport {
  const tests: GuestTestRecord[] = [];
  for (const module of modules) {
    const file = path.relative(root, module.moduleId);
    for (const test of module.children.allTests()) {
      const result = test.result();
      const record: GuestTestRecord = {
        file,
        name: test.fullName,
        state: result.state,
        errors: (result.errors ?? []).map(errorLines),
      };
      const durationMs = test.diagnostic()?.duration;
      if (durationMs !== undefined) record.durationMs = Math.round(durationMs);
      tests.push(record);
    }
    // A file that failed to load has no tests: its errors become a failed '(file)' entry.
    for (const error of module.errors())
      tests.push({ file, name: '(file)', state: 'failed', errors: [errorLines(error)] });
  }
  return {
    version: 1,
    kernelRelease: release(),
    cgroupMounts: cgroupMounts(),
    reason,
    tests,
    unhandledErrors: unhandled.map(errorLines),
  };
}

/** Writes the report to the results disk when vitest ends the run. */
export class ResultsDiskReporter implements Reporter {
  onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandled: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const device = findDiskBySerial(RESULTS_DISK_SERIAL);
    if (device === undefined) {
      process.stderr.write(`results-disk-reporter: no disk with serial ${RESULTS_DISK_SERIAL}: report not written\n`);
      return;
    }
    const bytes = encodeGuestReport(buildGuestReport(modules, unhandled, reason, process.cwd()));
    const fd = openSync(device, 'r+');
    try {
      writeSync(fd, bytes, 0, bytes.length, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    process.stdout.write(`results-disk-reporter: ${bytes.length} bytes written to ${device}\n`);
  }
}
