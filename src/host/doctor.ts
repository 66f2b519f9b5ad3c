// The capability probe behind `isobench doctor`: what this host can run, what is limited, and the fix for each gap.

import { constants } from 'node:fs';
import { access, mkdir, readFile, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { detectCgroupHost } from '../container/cgroups/detect-host.js';
import type { CgroupHost } from '../container/cgroups/types.js';
import { helperBinary, probeBinary } from '../paths.js';
import { findExecutable } from '../util/find-executable.js';
import { isStaticElf } from './elf.js';
import { probeKvm } from './kvm.js';
import { readNofileLimit } from './process-limits.js';
import { readToolVersion, type ToolName } from './tool-version.js';

export type DoctorStatus = 'ok' | 'missing' | 'limited';

export interface DoctorCheck {
  /** Stable check id, e.g. "root", "namespace:pid", "kvm". */
  name: string;
  status: DoctorStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do about a missing or limited item. */
  fix?: string;
  /** The container runtime cannot work without it (doctor exits 1 when a required check is not ok). */
  required: boolean;
}

export interface DoctorOptions {
  helperPath?: string;
  probePath?: string;
  devKvm?: string;
  /** Filesystem root for /proc and the cgroup mounts; default "/". */
  fsRoot?: string;
  /** Static busybox location; default /bin/busybox. */
  busyboxPath?: string;
}

const SETUP_FIX = 'bash scripts/setup.sh';

/** Namespace types checked with `unshare --<type>`; the first five are what the runtime always creates. */
export const NAMESPACE_TYPES = ['pid', 'mount', 'net', 'uts', 'ipc', 'cgroup', 'time', 'user'] as const;
const REQUIRED_NAMESPACES = new Set<string>(['pid', 'mount', 'net', 'uts', 'ipc']);

function check(name: string, status: DoctorStatus, detail: string, required: boolean, fix?: string): DoctorCheck {
  return fix === undefined || status === 'ok'
    ? { name, status, detail, required }
    : { name, status, detail, fix, required };
}

function checkRoot(): DoctorCheck {
  const uid = process.getuid?.() ?? -1;
  return uid === 0
    ? check('root', 'ok', 'running as uid 0', true)
    : check('root', 'missing', `running as uid ${uid}`, true, 'run isobench as root, e.g. with sudo');
}

async function checkNamespace(type: (typeof NAMESPACE_TYPES)[number]): Promise<DoctorCheck> {
  const name = `namespace:${type}`;
  const required = REQUIRED_NAMESPACES.has(type);
  // A pid namespace only applies to children: --fork makes `true` its pid 1.
  const args = type === 'pid' ? ['--pid', '--fork', 'true'] : [`--${type}`, 'true'];
  const result = await execa('unshare', args, { reject: false, timeout: 10_000, stdin: 'ignore', all: true });
  if (result.exitCode === 0) return check(name, 'ok', `unshare ${args.join(' ')} succeeded`, required);
  const reason = (result.all ?? '').trim().split('\n')[0] || result.shortMessage;
  const fix = (result as { code?: string }).code === 'ENOENT' ? `install util-linux (${SETUP_FIX})` : undefined;
  return check(
    name,
    'missing',
    `unshare ${args.join(' ')} failed: ${reason}`,
    required,
    fix ?? `enable ${type} namespaces in the kernel (CONFIG_*_NS) and run as root`,
  );
}

async function checkOverlayfs(fsRoot: string): Promise<DoctorCheck> {
  const text = await readFile(path.join(fsRoot, 'proc/filesystems'), 'utf8').catch(() => '');
  const present = text.split('\n').some((line) => line.split('\t').at(-1)?.trim() === 'overlay');
  return present
    ? check('overlayfs', 'ok', 'overlay is in /proc/filesystems', true)
    : check('overlayfs', 'missing', 'overlay is not in /proc/filesystems', true, 'modprobe overlay');
}

// A controller is usable when a child cgroup can be created in its hierarchy (then removed at once).
async function canCreateCgroup(dir: string, label: string): Promise<boolean> {
  const probe = path.join(dir, `isobench-doctor-${process.pid}-${label}`);
  try {
    await mkdir(probe);
  } catch {
    return false;
  }
  await rmdir(probe).catch(() => undefined);
  return true;
}

async function isControllerUsable(host: CgroupHost, controller: string): Promise<'v1' | 'v2' | null> {
  const v1Dir = host.v1[controller];
  if (v1Dir !== undefined && (await canCreateCgroup(v1Dir, controller))) return 'v1';
  if (host.v2?.controllers.includes(controller) && (await canCreateCgroup(host.v2.mount, controller))) return 'v2';
  return null;
}

async function checkCgroups(fsRoot: string): Promise<DoctorCheck> {
  let host: CgroupHost;
  try {
    host = await detectCgroupHost(fsRoot);
  } catch (error) {
    return check(
      'cgroups',
      'missing',
      (error as Error).message,
      false,
      'mount cgroup2: mount -t cgroup2 none /sys/fs/cgroup',
    );
  }
  const wanted = ['memory', 'cpu', 'pids'];
  const usable = await Promise.all(wanted.map((controller) => isControllerUsable(host, controller)));
  const parts = wanted.map((controller, index) => `${controller}:${usable[index] ?? 'unusable'}`);
  const detail = `${host.mode}; ${parts.join(' ')}`;
  const missing = wanted.filter((_, index) => usable[index] === null);
  if (missing.length === 0) return check('cgroups', 'ok', detail, false);
  return check(
    'cgroups',
    missing.length === wanted.length ? 'missing' : 'limited',
    `${detail} (limits and accounting of ${missing.join(', ')} unavailable)`,
    false,
    `mount the ${missing.join(', ')} controller(s) (v1 hierarchy or cgroup2 subtree_control) and run as root`,
  );
}

async function checkBuilt(name: string, file: string, required: boolean): Promise<DoctorCheck> {
  try {
    await access(file, constants.X_OK);
    return check(name, 'ok', file, required);
  } catch {
    return check(name, 'missing', `${file} is not built`, required, SETUP_FIX);
  }
}

async function checkTool(tool: ToolName, purpose: string): Promise<DoctorCheck> {
  const version = await readToolVersion(tool);
  return version === null
    ? check(tool, 'missing', `${tool} not found on PATH (${purpose})`, false, SETUP_FIX)
    : check(tool, 'ok', version, false);
}

async function checkKvm(devKvm: string | undefined, sysRoot: string): Promise<DoctorCheck> {
  const kvm = await probeKvm({ devKvm, sysRoot });
  if (kvm.available) {
    const note = kvm.module === 'kvm_pvm' ? ' (page-table-based KVM without VMX/SVM, as in a nested VM)' : '';
    return check(
      'kvm',
      'ok',
      `${devKvm ?? '/dev/kvm'} opens read-write; module ${kvm.module ?? 'unknown'}${note}`,
      false,
    );
  }
  return check(
    'kvm',
    'limited',
    `VMs run under TCG, slow; every figure says tcg (${kvm.reason})`,
    false,
    'load kvm_intel or kvm_amd (or enable nested virtualisation for this VM) and make /dev/kvm readable by root',
  );
}

async function checkCrun(fsRoot: string): Promise<DoctorCheck> {
  const version = await readToolVersion('crun');
  if (version === null) return check('crun', 'missing', 'crun not found on PATH (peer runtime)', false, SETUP_FIX);
  const mode = await detectCgroupHost(fsRoot).then(
    (host) => host.mode,
    () => null,
  );
  if (mode === 'hybrid') {
    return check(
      'crun',
      'limited',
      `${version}; refuses hybrid cgroups ("cgroups in hybrid mode not supported") unless run in its own mount namespace with /sys/fs/cgroup/unified unmounted`,
      false,
      'run crun in its own mount namespace with /sys/fs/cgroup/unified unmounted, or boot the host with cgroup v2 only (systemd.unified_cgroup_hierarchy=1)',
    );
  }
  return check('crun', 'ok', `${version}; cgroups ${mode ?? 'unknown'}`, false);
}

// Podman 4 gives containers nofile=1048576 by default; above the hard limit `podman run` fails with EPERM.
async function checkPodman(hardNofile: number | null): Promise<DoctorCheck> {
  const version = await readToolVersion('podman');
  if (version === null) return check('podman', 'missing', 'podman not found on PATH (peer engine)', false, SETUP_FIX);
  const confFiles = [process.env.CONTAINERS_CONF, '/etc/containers/containers.conf'].filter(
    (file) => file !== undefined,
  );
  const texts = await Promise.all(confFiles.map((file) => readFile(file!, 'utf8').catch(() => '')));
  const configured = texts.some((text) => /^\s*default_ulimits\s*=.*nofile=/m.test(text));
  if (hardNofile === null || hardNofile >= 1_048_576 || configured) {
    return check(
      'podman',
      'ok',
      `${version}; nofile ulimit ${configured ? 'set in containers.conf' : 'fits the hard limit'}`,
      false,
    );
  }
  return check(
    'podman',
    'limited',
    `${version}; its default nofile ulimit (1048576) exceeds the hard limit ${hardNofile}, so it needs a containers.conf with default_ulimits within it (and runtime runc on hybrid cgroups)`,
    false,
    'CONTAINERS_CONF=<file> holding [containers] default_ulimits = ["nofile=1024:1024"] and [engine] runtime = "runc"',
  );
}

function checkNofile(limit: { soft: number | null; hard: number | null; canRaiseHard: boolean }): DoctorCheck {
  const show = (value: number | null) => (value === null ? 'unlimited' : String(value));
  const detail = `soft ${show(limit.soft)}, hard ${show(limit.hard)}; ${
    limit.canRaiseHard ? 'CAP_SYS_RESOURCE present' : 'no CAP_SYS_RESOURCE: cannot be raised above the hard limit'
  }`;
  return check('rlimit-nofile', 'ok', detail, false);
}

async function checkBusybox(file: string): Promise<DoctorCheck> {
  const found = await findExecutable(file);
  if (found === null) return check('busybox-static', 'missing', `${file} not found`, false, SETUP_FIX);
  const isStatic = await isStaticElf(found).catch(() => false);
  return isStatic
    ? check('busybox-static', 'ok', `${found} is statically linked`, false)
    : check('busybox-static', 'missing', `${found} is dynamically linked (not busybox-static)`, false, SETUP_FIX);
}

/**
 * Runs every check in parallel and returns them in a fixed order. Never throws for a missing feature:
 * that is a check with status 'missing' or 'limited'. Creates and removes a probe cgroup per controller.
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const fsRoot = options.fsRoot ?? '/';
  const sysRoot = path.join(fsRoot, 'sys');
  const nofile = await readNofileLimit({ procRoot: path.join(fsRoot, 'proc') });
  return Promise.all([
    checkRoot(),
    ...NAMESPACE_TYPES.map((type) => checkNamespace(type)),
    checkOverlayfs(fsRoot),
    checkCgroups(fsRoot),
    checkBuilt('helper', options.helperPath ?? helperBinary(), true),
    checkBuilt('probe', options.probePath ?? probeBinary(), false),
    checkTool('qemu-system-x86_64', 'VM target'),
    checkTool('qemu-img', 'VM disk images'),
    checkKvm(options.devKvm, sysRoot),
    checkTool('runc', 'peer runtime'),
    checkCrun(fsRoot),
    checkPodman(nofile.hard),
    checkNofile(nofile),
    checkBusybox(options.busyboxPath ?? '/bin/busybox'),
    checkTool('debootstrap', 'Debian rootfs images'),
    checkTool('skopeo', 'image import/export'),
    checkTool('umoci', 'OCI layout round-trips'),
  ]);
}

/** True when every required check is ok (root, the runtime's namespaces, overlayfs, the helper). */
export function areRequiredChecksOk(checks: DoctorCheck[]): boolean {
  return checks.every((entry) => !entry.required || entry.status === 'ok');
}
