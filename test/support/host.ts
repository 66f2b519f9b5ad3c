// The one environment probe of the test suite: what this host offers (root, QEMU, the peer
// runtimes, clang, cgroup v1 memory), and `requireHost(...)`, which a test file calls at its top
// to be skipped, every test with the stated reason, on a host that lacks what it needs (as crun's
// tests exit 77 and youki's ConditionalTest skips). host-runner.ts does the skipping.
// NOTE: with ISOBENCH_TESTS_STRICT=1 (set by .ci/run) a file that lacks something the set-up
// provides (root, packages) FAILS instead: CI must never pass by skipping. A kernel feature the
// host lacks (cgroup v1 memory on a cgroup2-only host) still skips there.
import { existsSync } from 'node:fs';
import { findExecutable } from '../../src/util/find-executable.js';

/** What a test file can need from the host. */
export type HostNeed =
  | 'root'
  | 'qemu'
  | 'runc'
  | 'crun'
  | 'podman'
  | 'clang'
  | 'python3'
  | 'cgroup-v1-memory'
  | 'workload-tools'
  | 'debian-rootfs';

interface NeedCheck {
  /** Says what is missing and the fix; undefined when the host has it. */
  lack: () => Promise<string | undefined>;
  /** True when the set-up (root, scripts/setup.sh) provides it, so CI must have it. */
  providedBySetup: boolean;
}

const SETUP = 'run bash scripts/setup.sh';

async function lackOfTool(name: string, fix = SETUP): Promise<string | undefined> {
  return (await findExecutable(name)) === null ? `${name} not found (${fix})` : undefined;
}

const CHECKS: Record<HostNeed, NeedCheck> = {
  root: {
    lack: async () => {
      const uid = process.getuid?.();
      return uid === 0 ? undefined : `not root (uid ${uid}): namespaces, mounts and cgroups need root; run as root`;
    },
    providedBySetup: true,
  },
  qemu: { lack: () => lackOfTool('qemu-system-x86_64'), providedBySetup: true },
  runc: { lack: () => lackOfTool('runc'), providedBySetup: true },
  crun: { lack: () => lackOfTool('crun'), providedBySetup: true },
  podman: { lack: () => lackOfTool('podman'), providedBySetup: true },
  clang: { lack: () => lackOfTool('clang'), providedBySetup: true },
  python3: { lack: () => lackOfTool('python3'), providedBySetup: true },
  // The workload scenario's servers (run natively too) and load generators.
  'workload-tools': {
    lack: async () => {
      for (const tool of ['nginx', 'redis-server', 'wrk', 'redis-benchmark']) {
        const lack = await lackOfTool(tool);
        if (lack) return lack;
      }
      return undefined;
    },
    providedBySetup: true,
  },
  // The base of the real-software recipes (scripts/setup.sh makes it with debootstrap, cached).
  'debian-rootfs': {
    lack: async () =>
      existsSync('scenarios/images/debian/rootfs.tar.gz')
        ? undefined
        : `scenarios/images/debian/rootfs.tar.gz is missing (${SETUP})`,
    providedBySetup: true,
  },
  'cgroup-v1-memory': {
    lack: async () =>
      existsSync('/sys/fs/cgroup/memory/memory.stat')
        ? undefined
        : 'no cgroup v1 memory controller at /sys/fs/cgroup/memory (a cgroup2-only host)',
    providedBySetup: false,
  },
};

/** Env var that turns a skip for something the set-up provides into a failure (CI). */
export const STRICT_ENV = 'ISOBENCH_TESTS_STRICT';

/** Where requireHost leaves the reason for host-runner.ts: file path -> reason. */
export const HOST_SKIPS = Symbol.for('isobench.test.hostSkips');
/** Where host-runner.ts says which file is being collected. */
export const COLLECTING = Symbol.for('isobench.test.collecting');

type HostGlobals = { [HOST_SKIPS]?: Map<string, string>; [COLLECTING]?: string };

/** What of `needs` this host lacks, each with its fix; empty when it has all of them. */
export async function lacksOf(needs: readonly HostNeed[]): Promise<Array<{ need: HostNeed; why: string }>> {
  const found = await Promise.all(needs.map(async (need) => ({ need, why: await CHECKS[need].lack() })));
  return found.filter((f): f is { need: HostNeed; why: string } => f.why !== undefined);
}

/**
 * What of `needs` this host lacks, as one reason, or undefined when it has everything. Under
 * ISOBENCH_TESTS_STRICT=1 a lack the set-up should have filled throws instead.
 */
export async function hostLacks(...needs: HostNeed[]): Promise<string | undefined> {
  const lacks = await lacksOf(needs);
  if (lacks.length === 0) return undefined;
  const reason = lacks.map((l) => l.why).join('; ');
  if (process.env[STRICT_ENV] === '1' && lacks.some((l) => CHECKS[l.need].providedBySetup)) {
    throw new Error(`${reason}; ${STRICT_ENV}=1 (CI) forbids skipping for what the set-up provides`);
  }
  return reason;
}

/**
 * Declares what the calling test file needs. Call it once at the top of the file (top-level
 * await). When the host lacks any of it, every test of the file is skipped with the reason and no
 * hook of the file runs; under ISOBENCH_TESTS_STRICT=1 a lack the set-up should have filled
 * throws instead, so the file fails with the reason. (For one describe block of a file:
 * `describe.skipIf(await hostLacks(...))`.)
 */
export async function requireHost(...needs: HostNeed[]): Promise<void> {
  const reason = await hostLacks(...needs);
  if (reason === undefined) return;
  const globals = globalThis as HostGlobals;
  const file = globals[COLLECTING];
  if (file === undefined) {
    throw new Error('requireHost needs the test runner test/support/host-runner.ts (vitest.config.ts: runner)');
  }
  globals[HOST_SKIPS] ??= new Map();
  globals[HOST_SKIPS].set(file, reason);
}

/** The reason recorded for `file` by requireHost, if its tests are to be skipped. */
export function hostSkipReason(file: string): string | undefined {
  return (globalThis as HostGlobals)[HOST_SKIPS]?.get(file);
}

/** Records that `file` is being collected (host-runner.ts). */
export function setCollecting(file: string | undefined): void {
  (globalThis as HostGlobals)[COLLECTING] = file;
}
