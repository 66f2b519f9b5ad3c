// Image config + workload -> an OCI runtime config.json (runtime-spec 1.0), the one runc and crun
// are handed. Pure: the rootfs mount and the bundle dir live in peer-rootfs.ts.
import { DOCKER_DEFAULT_CAPS } from '../container/capabilities.js';

export { DOCKER_DEFAULT_CAPS };

import type { ImageRuntimeConfig } from '../image/types.js';
import type { WorkloadSpec } from './types.js';

/** PATH when the image sets none (Docker's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** CFS period the cpu limit is expressed in (µs), as Docker uses. */
export const CPU_PERIOD_US = 100_000;

/** What the config needs besides the workload; all resolved by the caller. */
export interface OciConfigInput {
  image: ImageRuntimeConfig;
  workload: Pick<WorkloadSpec, 'args' | 'env' | 'limits' | 'network'>;
  /** Absolute path of the (already mounted) rootfs. */
  rootfsPath: string;
  hostname: string;
  /** cgroupsPath, e.g. "/isobench-peers/<id>" (cgroupfs style, absolute). */
  cgroupsPath: string;
  user: { uid: number; gid: number; additionalGids?: number[] };
}

/** The subset of the OCI runtime config isobench writes (runtime-spec config.md). */
export interface OciRuntimeConfig {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<'bounding' | 'effective' | 'permitted', string[]>;
    rlimits: Array<{ type: string; hard: number; soft: number }>;
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: Array<{ destination: string; type: string; source: string; options?: string[] }>;
  linux: {
    cgroupsPath: string;
    resources: {
      devices: Array<{ allow: boolean; access: string }>;
      memory?: { limit: number; swap: number };
      cpu?: { quota: number; period: number };
      pids?: { limit: number };
    };
    namespaces: Array<{ type: string }>;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

/**
 * Merges image Env with workload env (the workload wins per key; order: image first, new keys
 * after), adding the default PATH when neither sets one.
 */
export function mergeEnv(imageEnv: string[] | undefined, workloadEnv: Record<string, string>): string[] {
  const merged = new Map<string, string>();
  for (const entry of imageEnv ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) merged.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const [key, value] of Object.entries(workloadEnv)) merged.set(key, value);
  if (!merged.has('PATH')) merged.set('PATH', DEFAULT_PATH);
  return [...merged].map(([key, value]) => `${key}=${value}`);
}

/** argv: the workload's args replace Entrypoint+Cmd; with none, the image's Entrypoint+Cmd. */
export function processArgs(image: ImageRuntimeConfig, args: string[]): string[] {
  if (args.length > 0) return [...args];
  return [...(image.Entrypoint ?? []), ...(image.Cmd ?? [])];
}

/** Resources from the workload limits; unset limits are left out (runtime default: unlimited). */
export function ociResources(limits: WorkloadSpec['limits']): OciRuntimeConfig['linux']['resources'] {
  const resources: OciRuntimeConfig['linux']['resources'] = { devices: [{ allow: false, access: 'rwm' }] };
  // swap (memory+swap in runtime-spec) = limit: no swap on top. Docker would allow 2x; pinning it
  // makes the limit mean the same for every target, with or without swap on the host.
  if (limits.memoryBytes !== undefined) resources.memory = { limit: limits.memoryBytes, swap: limits.memoryBytes };
  if (limits.cpus !== undefined)
    resources.cpu = { quota: Math.round(limits.cpus * CPU_PERIOD_US), period: CPU_PERIOD_US };
  if (limits.pidsLimit !== undefined) resources.pids = { limit: limits.pidsLimit };
  return resources;
}

/**
 * The config.json for one instance: the shape `runc spec` produces (same mounts, masked and
 * read-only paths), with terminal off, a writable rootfs, Docker's default capabilities,
 * no_new_privs, a new pid/mount/network/ipc/uts/cgroup namespace each (the host's network with
 * the workload's network: host), and the workload's limits.
 * NOTE: the new network namespace holds only `lo`, left DOWN (runc/crun do not raise it; Docker's
 * --network none does): a workload needing 127.0.0.1 would see a difference here.
 */
export function buildOciConfig(input: OciConfigInput): OciRuntimeConfig {
  const caps = [...DOCKER_DEFAULT_CAPS];
  const user: OciRuntimeConfig['process']['user'] = { uid: input.user.uid, gid: input.user.gid };
  if (input.user.additionalGids && input.user.additionalGids.length > 0) {
    user.additionalGids = [...input.user.additionalGids];
  }
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user,
      args: processArgs(input.image, input.workload.args),
      env: mergeEnv(input.image.Env, input.workload.env),
      cwd: input.image.WorkingDir || '/',
      capabilities: { bounding: caps, effective: [...caps], permitted: [...caps] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: input.rootfsPath, readonly: false },
    hostname: input.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
      },
    ],
    linux: {
      cgroupsPath: input.cgroupsPath,
      resources: ociResources(input.workload.limits),
      // network: host joins the host's network namespace (no network entry), as `docker run --network host`.
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']
        .filter((type) => type !== 'network' || input.workload.network !== 'host')
        .map((type) => ({ type })),
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
