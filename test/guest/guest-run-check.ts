// Judges one guest run: what must hold for it to pass (a report, every expected file run, no
// failure, the cgroup mounts the layout asks for), and the per-test listing the host prints. Pure.
import type { GuestTestRecord } from './guest-report.js';
import { GUEST_TEST_FILES, V2_ONLY_TEST_FILES } from './guest-test-files.js';
import type { GuestRun } from './guest-vm.js';

const MARK: Record<GuestTestRecord['state'], string> = { passed: '✓', failed: '✗', skipped: '↓', pending: '…' };

/** One line per test the guest ran, then its errors indented. */
export function formatGuestRun(run: GuestRun): string {
  const head = `${run.cgroups} guest (kernel ${run.kernelRelease}, ${run.accel}): exit ${run.exitCode} after ${(run.durationMs / 1000).toFixed(1)} s`;
  if ('error' in run.report) {
    const tail = run.output.trimEnd().split('\n').slice(-60);
    return [`${head}\n  no report: ${run.report.error}; its last output:`, ...tail.map((l) => `  | ${l}`)].join('\n');
  }
  const lines = [head, `  cgroup mounts: ${run.report.cgroupMounts.join(', ') || 'none'}`];
  for (const test of run.report.tests) {
    const duration = test.durationMs === undefined ? '' : ` (${test.durationMs} ms)`;
    lines.push(`  [${run.cgroups}] ${MARK[test.state]} ${test.file} > ${test.name}${duration}`);
    for (const error of test.errors) lines.push(...error.split('\n').map((line) => `        ${line}`));
  }
  for (const error of run.report.unhandledErrors) lines.push(`  unhandled: ${error}`);
  return lines.join('\n');
}

/** What is wrong with a run; empty when it passed. */
export function checkGuestRun(run: GuestRun): string[] {
  if ('error' in run.report) {
    // The last lines the guest printed name the test it was in: CI logs keep the failure, not the listing.
    const tail = run.output.trimEnd().split('\n').slice(-12).join(' | ');
    return [`${run.cgroups} guest: ${run.report.error} (exit ${run.exitCode}); last output: ${tail}`];
  }
  const { tests, unhandledErrors, cgroupMounts } = run.report;
  const problems: string[] = [];
  for (const test of tests.filter((t) => t.state === 'failed')) {
    problems.push(`${run.cgroups} guest: failed: ${test.file} > ${test.name}: ${test.errors[0]?.split('\n')[0] ?? ''}`);
  }
  for (const error of unhandledErrors) problems.push(`${run.cgroups} guest: unhandled error: ${error.split('\n')[0]}`);
  const passedIn = (file: string) => tests.some((t) => t.file === file && t.state === 'passed');
  const required = run.cgroups === 'v2' ? [...GUEST_TEST_FILES, ...V2_ONLY_TEST_FILES] : [...GUEST_TEST_FILES];
  for (const file of required) {
    if (!passedIn(file)) problems.push(`${run.cgroups} guest: no test of ${file} passed (not run, or all skipped)`);
  }
  if (run.cgroups === 'v1') {
    for (const file of V2_ONLY_TEST_FILES) {
      if (passedIn(file)) problems.push(`v1 guest: ${file} ran tests meant only for cgroup v2`);
    }
  }
  // The guest saw the layout asked for: cgroup2 alone at /sys/fs/cgroup, or v1 hierarchies and no cgroup2.
  const v2Mounts = cgroupMounts.filter((m) => m.startsWith('cgroup2 '));
  const v1Mounts = cgroupMounts.filter((m) => m.startsWith('cgroup '));
  const layoutOk =
    run.cgroups === 'v2'
      ? v1Mounts.length === 0 && v2Mounts.length === 1 && v2Mounts[0] === 'cgroup2 /sys/fs/cgroup'
      : v2Mounts.length === 0 && v1Mounts.some((m) => m.startsWith('cgroup /sys/fs/cgroup/memory'));
  if (!layoutOk) problems.push(`${run.cgroups} guest: unexpected cgroup mounts: ${cgroupMounts.join(', ') || 'none'}`);
  if (run.exitCode !== 0 && problems.length === 0) {
    problems.push(`${run.cgroups} guest: vitest exited ${run.exitCode} with every test passed`);
  }
  return problems;
}
