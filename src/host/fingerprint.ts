// Collects the environment fingerprint: hardware (systeminformation), kernel, cgroups, KVM, tool versions, provenance.

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import si from 'systeminformation';
import { detectCgroupHost } from '../container/cgroups/detect-host.js';
import type { CgroupHost } from '../container/cgroups/types.js';
import { readHostMemoryState } from '../measure/host-memory.js';
import { packageDir } from '../paths.js';
import {
  type EnvironmentFingerprint,
  EnvironmentFingerprintSchema,
  FINGERPRINT_VERSION,
} from './fingerprint-schema.js';
import { readGitState } from './git-state.js';
import { probeKvm } from './kvm.js';
import { readToolVersions } from './tool-version.js';
import { probeVirtualization } from './virtualization.js';

export interface FingerprintOptions {
  /** Repository whose package.json version and git state are recorded; default packageDir(). */
  packageDir?: string;
  /** Filesystem root for the cgroup mount table; default "/". */
  fsRoot?: string;
  devKvm?: string;
  sysRoot?: string;
  /** Root of /proc for the virtualisation probe; default "/proc". */
  procRoot?: string;
  /** Time of collection; default new Date(). */
  now?: Date;
}

async function readPackageVersion(dir: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

// A host without any cgroup mount still gets a fingerprint; the mode is then null.
async function detectCgroupsOrNull(fsRoot: string): Promise<CgroupHost | null> {
  try {
    return await detectCgroupHost(fsRoot);
  } catch {
    return null;
  }
}

/**
 * Collects the fingerprint, every probe in parallel (about 100-200 ms; tool probes time out after 3 s).
 * Validated against EnvironmentFingerprintSchema before it is returned.
 */
export async function collectFingerprint(options: FingerprintOptions = {}): Promise<EnvironmentFingerprint> {
  const dir = options.packageDir ?? packageDir();
  const [cpu, mem, osInfo, system, cgroups, kvm, tools, version, git, memoryState, virtualization] = await Promise.all([
    si.cpu(),
    si.mem(),
    si.osInfo(),
    si.system(),
    detectCgroupsOrNull(options.fsRoot ?? '/'),
    probeKvm({ devKvm: options.devKvm, sysRoot: options.sysRoot }),
    readToolVersions(),
    readPackageVersion(dir),
    readGitState(dir),
    readHostMemoryState({ sysRoot: options.sysRoot }),
    probeVirtualization({ sysRoot: options.sysRoot, procRoot: options.procRoot }),
  ]);
  const fingerprint: EnvironmentFingerprint = {
    fingerprintVersion: FINGERPRINT_VERSION,
    collectedAt: (options.now ?? new Date()).toISOString(),
    hostname: os.hostname(),
    os: {
      platform: osInfo.platform,
      distro: osInfo.distro,
      release: osInfo.release,
      codename: osInfo.codename,
      arch: osInfo.arch,
    },
    kernelRelease: os.release(),
    cpu: {
      manufacturer: cpu.manufacturer,
      brand: cpu.brand,
      family: cpu.family,
      model: cpu.model,
      stepping: cpu.stepping,
      cores: cpu.cores,
      physicalCores: cpu.physicalCores,
      speedGhz: cpu.speed || 0,
      virtualizationFlag: Boolean(cpu.virtualization),
    },
    memory: {
      totalBytes: mem.total,
      availableBytes: mem.available,
      swapTotalBytes: mem.swaptotal,
      ksmRun: memoryState.ksm?.run ?? null,
      thpEnabled: memoryState.thp?.enabled ?? null,
      thpDefrag: memoryState.thp?.defrag ?? null,
    },
    system: {
      manufacturer: system.manufacturer,
      model: system.model,
      virtual: Boolean(system.virtual),
      virtualHost: system.virtualHost || null,
    },
    cgroup: {
      mode: cgroups?.mode ?? null,
      v1Controllers: Object.keys(cgroups?.v1 ?? {}).sort(),
      v2Controllers: [...(cgroups?.v2?.controllers ?? [])].sort(),
    },
    virtualization,
    kvm: { available: kvm.available, module: kvm.module },
    tools,
    nodeVersion: process.version,
    isobench: { version, gitCommit: git.commit, gitDirty: git.dirty },
  };
  return EnvironmentFingerprintSchema.parse(fingerprint);
}
