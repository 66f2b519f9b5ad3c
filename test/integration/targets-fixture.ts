// Shared set-up of the targets integration tests: the probe binary built, a probe workload spec,
// and the processes a test may have left behind.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listProcessTreeSync } from '../../src/measure/process-tree.js';
import { packageDir, probeBinary } from '../../src/paths.js';
import type { WorkloadSpec } from '../../src/targets/types.js';

export const MIB = 1024 * 1024;

/** Compiles build/isobench-probe (the set-up's exact command) when it is missing. */
export function ensureProbeBuilt(): string {
  const binary = probeBinary();
  if (existsSync(binary)) return binary;
  mkdirSync(path.dirname(binary), { recursive: true });
  const source = path.join(packageDir(), 'src', 'probe', 'isobench-probe.c');
  execFileSync('cc', ['-O2', '-static', '-Wall', '-Wextra', '-Werror', '-o', binary, source], { stdio: 'inherit' });
  return binary;
}

/** A workload running the probe with `steps`, marker ISOBENCH-READY, image `image`. */
export function probeWorkload(steps: string[], overrides: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    image: 'probe',
    args: ['isobench-probe', ...steps],
    env: {},
    readyMarker: 'ISOBENCH-READY',
    limits: {},
    vm: { memoryBytes: 256 * MIB, cpus: 1, machine: 'microvm' },
    ...overrides,
  };
}

/** Our descendants whose command name is `comm` (e.g. isobench-probe, qemu-system-x86). */
export function descendantsNamed(comm: string): number[] {
  return listProcessTreeSync(process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm;
    } catch {
      return false;
    }
  });
}
