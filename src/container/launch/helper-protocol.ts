// The protocol with the C helper (build/isobench-helper): the config file we write (flat
// `key\0value\0` records, parsed by src/container/helper/config.c) and the status lines it
// writes back on fd 3. Pure: no I/O here, so both directions are unit-tested byte for byte.
import { constants as osConstants } from 'node:os';
import { HelperError, InputError, type IsobenchError, WorkloadError } from '../../errors.js';
import type { ContainerSpec, LaunchOptions, UlimitSpec } from '../types.js';
import { sortByDepth } from '../volumes/parse.js';

/** Resource names the helper accepts in an `rlimit` record (setrlimit(2) RLIMIT_*, lower-case). */
export type RlimitName =
  | 'as'
  | 'core'
  | 'cpu'
  | 'data'
  | 'fsize'
  | 'locks'
  | 'memlock'
  | 'msgqueue'
  | 'nice'
  | 'nofile'
  | 'nproc'
  | 'rss'
  | 'rtprio'
  | 'rttime'
  | 'sigpending'
  | 'stack';

/** One rlimit; the helper clamps both values to the current hard limit when it may not raise it. */
export interface RlimitSpec {
  name: RlimitName;
  soft: number;
  hard: number;
}

/** Docker's effective default (dockerd runs with nofile 1048576); clamped to 20000 on hosts without CAP_SYS_RESOURCE. */
export const DEFAULT_RLIMITS: readonly RlimitSpec[] = [{ name: 'nofile', soft: 1048576, hard: 1048576 }];

/** What the config needs beyond spec and options. */
export interface HelperConfigExtra {
  /** pid of the process that spawns the helper; attached helpers exit at once if it is already gone. */
  parentPid?: number;
  /** Defaults to DEFAULT_RLIMITS. */
  rlimits?: readonly RlimitSpec[];
}

/** RLIM_INFINITY as the helper parses it (rlim_t is 64 bits; a JS number cannot hold it). */
const RLIM_INFINITY_TEXT = '18446744073709551615';

/** An `rlimit`/`ulimit` record value: "NAME SOFT HARD". */
function limitRecord(u: UlimitSpec): string {
  const text = (v: number | 'unlimited') => (v === 'unlimited' ? RLIM_INFINITY_TEXT : String(v));
  return `${u.name} ${text(u.soft)} ${text(u.hard)}`;
}

/** The process `exec` starts inside a running container: the process fields of a spec (cwd must exist inside it). */
export type ExecProcess = Pick<
  ContainerSpec,
  'args' | 'env' | 'cwd' | 'uid' | 'gid' | 'additionalGids' | 'seccomp' | 'capabilityMask' | 'noNewPrivileges'
>;

/** Appends `key\0value\0` records; a NUL inside a value would end it early, so it is refused. */
class RecordWriter {
  private readonly parts: string[] = [];
  add(key: string, value: string | number): this {
    const text = String(value);
    if (text.includes('\0')) throw new InputError(`Expected no NUL byte in the helper config value \`${key}\``);
    this.parts.push(key, '\0', text, '\0');
    return this;
  }
  addAll(key: string, values: readonly (string | number)[]): this {
    for (const value of values) this.add(key, value);
    return this;
  }
  toBuffer(): Buffer {
    return Buffer.from(this.parts.join(''), 'utf8');
  }
}

function addProcess(w: RecordWriter, proc: ExecProcess): void {
  w.add('cwd', proc.cwd).add('uid', proc.uid).add('gid', proc.gid).addAll('gid_extra', proc.additionalGids);
  w.addAll('env', proc.env).addAll('arg', proc.args);
  // Hex: the records are NUL-terminated strings, and a BPF program holds NUL bytes.
  if (proc.seccomp) {
    w.add('seccomp', proc.seccomp.bytes.toString('hex'));
    if (proc.seccomp.flags !== 0) w.add('seccomp_flags', proc.seccomp.flags);
  }
  // Only when asked: a config without them gets the helper's defaults (Docker's caps, no_new_privs on).
  if (proc.capabilityMask !== undefined) w.add('caps', proc.capabilityMask.toString());
  if (proc.noNewPrivileges !== undefined) w.add('no_new_privs', proc.noNewPrivileges ? 1 : 0);
}

/** Serializes a `run` config. Record order is fixed (version first), so the bytes are deterministic. */
export function serializeHelperConfig(
  spec: ContainerSpec,
  options: LaunchOptions,
  extra: HelperConfigExtra = {},
): Buffer {
  const w = new RecordWriter().add('version', 1).add('mode', options.mode.kind);
  if (extra.parentPid !== undefined) w.add('parent_pid', extra.parentPid);
  w.add('rootfs', spec.rootfsDir).add('upper', spec.upperDir).add('work', spec.workDir).addAll('lower', spec.lowerDirs);
  w.add('hostname', spec.hostname).add('network', spec.network);
  if (spec.bridge) {
    const b = spec.bridge;
    // One record: the host end, its bridge, then eth0's address, prefix and default gateway.
    w.add('net_veth', `${b.hostVeth} ${b.bridge} ${b.address} ${b.prefixLength} ${b.gateway}`);
    for (const p of spec.ports ?? []) w.add('publish', `${p.protocol} ${p.hostIp} ${p.hostPort} ${p.containerPort}`);
  }
  w.addAll('cgroup_procs', options.cgroupProcsFiles);
  // One list, parents first: a mount below another must come after it, whatever its kind.
  const mounts = sortByDepth<{ target: string; bind?: { source: string; readonly: boolean }; tmpfs?: string }>([
    ...(spec.binds ?? []).map((b) => ({ target: b.target, bind: b })),
    ...(spec.tmpfs ?? []).map((t) => ({ target: t.target, tmpfs: t.options })),
  ]);
  for (const m of mounts) {
    if (m.bind) w.add(m.bind.readonly ? 'bind_ro' : 'bind_rw', m.bind.source);
    else w.add('tmpfs', m.tmpfs ?? '');
    w.add('bind_to', m.target);
  }
  if (spec.readonlyRootfs) w.add('readonly_rootfs', 1);
  // A --ulimit replaces the default of its name; the helper applies it strictly (no clamping).
  const ulimits = spec.ulimits ?? [];
  for (const r of extra.rlimits ?? DEFAULT_RLIMITS) {
    if (!ulimits.some((u) => u.name === r.name)) w.add('rlimit', `${r.name} ${r.soft} ${r.hard}`);
  }
  for (const u of ulimits) w.add('ulimit', limitRecord(u));
  if (spec.shmSizeBytes !== undefined) w.add('shm_size', spec.shmSizeBytes);
  if (spec.init) w.add('init', 1);
  if (options.mode.kind === 'attached' && options.mode.tty) w.add('tty', 1);
  if (options.mode.kind === 'detached') {
    const mode = options.mode;
    w.add('stdout_log', mode.stdoutLog).add('stderr_log', mode.stderrLog).add('exit_file', mode.exitFile);
    w.addAll('rm_dir', mode.removeOnExit?.dirs ?? []).addAll('rm_cgroup', mode.removeOnExit?.cgroupDirs ?? []);
  }
  addProcess(w, spec);
  return w.toBuffer();
}

/** Serializes an `exec` config: join the namespaces of `targetPid` and its cgroups, then run `proc`. */
export function serializeExecConfig(
  target: { pid: number; cgroupProcsFiles: string[] },
  proc: ExecProcess,
  extra: Pick<HelperConfigExtra, 'parentPid'> & { tty?: boolean } = {},
): Buffer {
  const w = new RecordWriter().add('version', 1).add('target_pid', target.pid);
  if (extra.parentPid !== undefined) w.add('parent_pid', extra.parentPid);
  if (extra.tty) w.add('tty', 1);
  w.addAll('cgroup_procs', target.cgroupProcsFiles);
  addProcess(w, proc);
  return w.toBuffer();
}

/**
 * Where the helper was at points of a `run`, as absolute CLOCK_MONOTONIC ns: the clock of
 * process.hrtime.bigint(), so they compare directly with the caller's stamps. In order.
 */
export interface HelperPhasesNs {
  /** The helper's main() began (after node's fork+exec of it). */
  helperStartNs: bigint;
  /** The clone child first ran, in its new pid/mount/uts/ipc(/net) namespaces. */
  namespacesNs: bigint;
  /** Its root was ready: overlay mounted, pivot_root done, /proc, /dev, /sys and masks in place. */
  rootfsNs: bigint;
  /** Just before execve of the workload (credentials, caps and cwd set). */
  execNs: bigint;
}

/** One line the helper writes on fd 3. */
export type HelperStatus =
  | { kind: 'monitor'; pid: number }
  | { kind: 'pid'; pid: number }
  /** `stamps START NAMESPACES ROOTFS EXEC`: a `run` sends it in the same write() as, and just before, `pid`. */
  | { kind: 'stamps'; phasesNs: HelperPhasesNs }
  | { kind: 'warn'; message: string }
  | { kind: 'error'; syscall: string; errno: number; message: string }
  /** exitCode is the code or 128+signal; signal is the signal number, 0 when the workload exited. */
  | { kind: 'exit'; exitCode: number; signal: number };

/** Parses one status line (without its newline); undefined for a line that is not in the protocol. */
export function parseStatusLine(line: string): HelperStatus | undefined {
  const space = line.indexOf(' ');
  const word = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  const int = (text: string | undefined): number | undefined => (text && /^\d+$/.test(text) ? Number(text) : undefined);
  switch (word) {
    case 'monitor':
    case 'pid': {
      const pid = int(rest);
      return pid === undefined ? undefined : { kind: word, pid };
    }
    case 'stamps': {
      const match = /^(\d+) (\d+) (\d+) (\d+)$/.exec(rest);
      if (!match) return undefined;
      // bigint: monotonic ns pass 2^53 after ~104 days of uptime.
      const [helperStartNs, namespacesNs, rootfsNs, execNs] = match.slice(1).map(BigInt) as [
        bigint,
        bigint,
        bigint,
        bigint,
      ];
      return { kind: 'stamps', phasesNs: { helperStartNs, namespacesNs, rootfsNs, execNs } };
    }
    case 'warn':
      return { kind: 'warn', message: rest };
    case 'error': {
      const match = /^(\S+) (\d+) (.*)$/.exec(rest);
      if (!match) return undefined;
      return { kind: 'error', syscall: match[1]!, errno: Number(match[2]), message: match[3]! };
    }
    case 'exit': {
      const [code, signal] = rest.split(' ').map(int);
      if (code === undefined || signal === undefined) return undefined;
      return { kind: 'exit', exitCode: code, signal };
    }
    default:
      return undefined;
  }
}

/** The workload could not be exec'd: exit code 127 (not found) or 126 (not executable), as Docker reports. */
export class WorkloadExecError extends WorkloadError {
  readonly exitCode: 126 | 127;
  constructor(message: string, exitCode: 126 | 127) {
    super(message, {
      hint:
        exitCode === 127
          ? 'check the command name and the PATH of the image (or give an absolute path)'
          : 'check that the file is an executable the image can run (mode +x, right architecture)',
    });
    this.exitCode = exitCode;
  }
}

const ENOENT = 2;
const ENOTDIR = 20;

/**
 * Turns an `error` status into the error to throw. NOTE: execve failures are the workload's fault
 * (WorkloadExecError with 127/126); every other failure is a HelperError naming syscall and errno.
 */
export function errorFromStatus(status: Extract<HelperStatus, { kind: 'error' }>): IsobenchError {
  if (status.syscall === 'execve') {
    const notFound = status.errno === ENOENT || status.errno === ENOTDIR;
    return new WorkloadExecError(`cannot start the container's command: ${status.message}`, notFound ? 127 : 126);
  }
  return new HelperError(status.syscall, `container setup failed: ${status.message}`, status.errno, {
    hint: 'the message names the failing syscall and its argument; check that path or kernel feature',
  });
}

/** Signal name for a number, e.g. 9 -> "SIGKILL"; undefined for 0. */
export function signalName(signo: number): string | undefined {
  if (signo === 0) return undefined;
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === signo);
  return entry ? entry[0] : `SIG${signo}`;
}
