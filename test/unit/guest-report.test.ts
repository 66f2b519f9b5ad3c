// The test guest's report (test/guest/): its bytes on the results disk and how the host judges a run.
import { describe, expect, it } from 'vitest';
import { decodeGuestReport, encodeGuestReport, type GuestReport } from '../guest/guest-report.js';
import { checkGuestRun, formatGuestRun } from '../guest/guest-run-check.js';
import { GUEST_TEST_FILES, V2_ONLY_TEST_FILES } from '../guest/guest-test-files.js';
import type { GuestRun } from '../guest/guest-vm.js';

function report(layout: 'v1' | 'v2', overrides: Partial<GuestReport> = {}): GuestReport {
  const files = layout === 'v2' ? [...GUEST_TEST_FILES, ...V2_ONLY_TEST_FILES] : [...GUEST_TEST_FILES];
  return {
    version: 1,
    kernelRelease: '6.1.0-57-amd64',
    cgroupMounts: layout === 'v2' ? ['cgroup2 /sys/fs/cgroup'] : ['cgroup /sys/fs/cgroup/memory'],
    reason: 'passed',
    tests: [
      ...files.map((file) => ({ file, name: 'suite > works', state: 'passed' as const, durationMs: 5, errors: [] })),
      ...(layout === 'v1'
        ? V2_ONLY_TEST_FILES.map((file) => ({ file, name: 'suite > v2 only', state: 'skipped' as const, errors: [] }))
        : []),
    ],
    unhandledErrors: [],
    ...overrides,
  };
}

function run(layout: 'v1' | 'v2', guestReport: GuestRun['report'] = report(layout), exitCode = 0): GuestRun {
  return {
    cgroups: layout,
    exitCode,
    accel: 'tcg',
    kernelRelease: '6.1.0-57-amd64',
    report: guestReport,
    durationMs: 1000,
    output: 'line 1\nline 2\n',
  };
}

describe('guest report bytes', () => {
  it('round-trips through a disk with zeros after it', () => {
    const disk = Buffer.concat([encodeGuestReport(report('v2')), Buffer.alloc(4096)]);
    expect(decodeGuestReport(disk)).toEqual(report('v2'));
  });

  it('refuses an empty disk, a truncated report and a changed byte', () => {
    expect(() => decodeGuestReport(Buffer.alloc(4096))).toThrow(/holds no guest report/);
    const bytes = encodeGuestReport(report('v2'));
    expect(() => decodeGuestReport(bytes.subarray(0, bytes.length - 10))).toThrow(/truncated/);
    const changed = Buffer.from(bytes);
    changed[changed.length - 5] = changed[changed.length - 5]! ^ 1;
    expect(() => decodeGuestReport(changed)).toThrow(/SHA-256/);
  });
});

describe('checkGuestRun', () => {
  it('passes a v2 run where every file passed and a v1 run where only the v2 file skipped', () => {
    expect(checkGuestRun(run('v2'))).toEqual([]);
    expect(checkGuestRun(run('v1'))).toEqual([]);
  });

  it('fails a run without a report, with a failed test, or with a file never run', () => {
    expect(checkGuestRun(run('v2', { error: 'no report' }, 1))).toEqual([
      'v2 guest: no report (exit 1); last output: line 1 | line 2',
    ]);
    const failed = report('v2');
    failed.tests[0] = { ...failed.tests[0]!, state: 'failed', errors: ['AssertionError: boom\n  at x'] };
    expect(checkGuestRun(run('v2', failed, 1))).toEqual([
      `v2 guest: failed: ${GUEST_TEST_FILES[0]} > suite > works: AssertionError: boom`,
      `v2 guest: no test of ${GUEST_TEST_FILES[0]} passed (not run, or all skipped)`,
    ]);
    const missing = report('v2');
    missing.tests = missing.tests.filter((t) => t.file !== V2_ONLY_TEST_FILES[0]);
    expect(checkGuestRun(run('v2', missing))).toEqual([
      `v2 guest: no test of ${V2_ONLY_TEST_FILES[0]} passed (not run, or all skipped)`,
    ]);
  });

  it('fails a guest whose cgroup mounts are not the layout asked for, or that ran v2 tests on v1', () => {
    const hybrid = report('v2', { cgroupMounts: ['cgroup /sys/fs/cgroup/memory', 'cgroup2 /sys/fs/cgroup/unified'] });
    expect(checkGuestRun(run('v2', hybrid))).toEqual([
      'v2 guest: unexpected cgroup mounts: cgroup /sys/fs/cgroup/memory, cgroup2 /sys/fs/cgroup/unified',
    ]);
    const v2OnV1 = report('v1');
    v2OnV1.tests = v2OnV1.tests.map((t) => ({ ...t, state: 'passed' }));
    expect(checkGuestRun(run('v1', v2OnV1))).toEqual([
      `v1 guest: ${V2_ONLY_TEST_FILES[0]} ran tests meant only for cgroup v2`,
    ]);
  });

  it('fails a non-zero exit even when every test passed, and lists each test in the output', () => {
    expect(checkGuestRun(run('v2', report('v2'), 1))).toEqual(['v2 guest: vitest exited 1 with every test passed']);
    const text = formatGuestRun(run('v1'));
    expect(text).toContain(`[v1] ✓ ${GUEST_TEST_FILES[0]} > suite > works (5 ms)`);
    expect(text).toContain(`[v1] ↓ ${V2_ONLY_TEST_FILES[0]} > suite > v2 only`);
  });
});
