// A container's state on disk (containers/<id>/state.json and its siblings) and the pure rules
// that derive its real status from what /proc and the monitor's exit file say: the recorded
// status is a claim, never trusted on its own.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { InputError, IntegrityError } from '../errors.js';
import type { ContainerStatus, ExitInfo, NetworkMode, ResourceLimits } from './types.js';

export const STATE_SCHEMA_VERSION = 1;

/** What state.json holds. Times are ISO 8601 strings; start times are /proc/<pid>/stat field 22 (clock ticks). */
export interface ContainerRecord {
  schemaVersion: typeof STATE_SCHEMA_VERSION;
  /** 64 lowercase hex digits. */
  id: string;
  name: string;
  image: { ref: string; digest: string };
  /** Read-only layer dirs, topmost first (kept so exec/user lookups need no image store). */
  lowerDirs: string[];
  args: string[];
  env: string[];
  cwd: string;
  /** The user spec as given ("", "tester", "1000:1000"); resolved ids below. */
  user: string;
  uid: number;
  gid: number;
  hostname: string;
  network: NetworkMode;
  limits: ResourceLimits;
  /** Signal `stop` sends first (the image's StopSignal, default SIGTERM). */
  stopSignal: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Recorded status; `refresh` turns it into the derived one. */
  status: ContainerStatus;
  /** Why the status is what it is when the exit is unknown or the container was cleaned up. */
  statusDetail?: string;
  /** The isobench process that created the container (owner of an attached run). */
  creatorPid: number;
  creatorStartTime: number | null;
  /** Host pid of the workload (PID 1 of its pid namespace). */
  pid?: number;
  pidStartTime?: number | null;
  /** Host pid of the helper that reaps the workload. */
  monitorPid?: number;
  monitorStartTime?: number | null;
  detached: boolean;
  remove: boolean;
  exit?: ExitInfo;
  cgroupDirs: string[];
}

/** Files and dirs of one container. NOTE: the monitor writes `exitFile`; nothing else in this dir is shared. */
export interface ContainerPaths {
  dir: string;
  stateFile: string;
  upperDir: string;
  workDir: string;
  rootfsDir: string;
  stdoutLog: string;
  stderrLog: string;
  exitFile: string;
  /** The container's compiled seccomp filter (absent when unconfined): `exec` loads the same one. */
  seccompFilter: string;
  /** The workload's capability set and no_new_privs (process-security.ts): `exec` gets the same. */
  processSecurity: string;
}

export function containerPaths(containersDir: string, id: string): ContainerPaths {
  const dir = path.join(containersDir, id);
  return {
    dir,
    stateFile: path.join(dir, 'state.json'),
    upperDir: path.join(dir, 'upper'),
    workDir: path.join(dir, 'work'),
    rootfsDir: path.join(dir, 'rootfs'),
    stdoutLog: path.join(dir, 'stdout.log'),
    stderrLog: path.join(dir, 'stderr.log'),
    exitFile: path.join(dir, 'exit'),
    seccompFilter: path.join(dir, 'seccomp.json'),
    processSecurity: path.join(dir, 'security.json'),
  };
}

const ID_PATTERN = /^[0-9a-f]{64}$/;

/** True for a well-formed container id (64 lowercase hex). */
export function isContainerId(value: string): boolean {
  return ID_PATTERN.test(value);
}

export function generateContainerId(): string {
  return randomBytes(32).toString('hex');
}

const ADJECTIVES = [
  'brisk',
  'calm',
  'eager',
  'keen',
  'lucid',
  'nimble',
  'quiet',
  'rapid',
  'steady',
  'tidy',
  'vivid',
  'witty',
];
const NOUNS = [
  'otter',
  'heron',
  'lynx',
  'falcon',
  'badger',
  'marten',
  'ibex',
  'wren',
  'panda',
  'gecko',
  'tapir',
  'koala',
];

/** A readable name ("keen_otter_3f2a"); the suffix from the id keeps collisions rare, the caller still checks. */
export function generateContainerName(id: string): string {
  const a = ADJECTIVES[Number.parseInt(id.slice(0, 2), 16) % ADJECTIVES.length];
  const n = NOUNS[Number.parseInt(id.slice(2, 4), 16) % NOUNS.length];
  return `${a}_${n}_${id.slice(4, 8)}`;
}

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** Throws InputError unless `name` is 1-128 chars of [a-zA-Z0-9_.-] starting with a letter or digit. */
export function validateContainerName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new InputError(`invalid container name '${name}'`, {
      hint: 'use 1-128 characters of letters, digits, _ . - starting with a letter or digit',
    });
  }
}

/**
 * Writes state.json by rename (a reader sees the old or the new record, never a torn one).
 * Not fsync'd on purpose: a container does not outlive a host crash, so durability would buy
 * nothing and cost milliseconds on every launch. Synchronous: a few small syscalls are cheaper
 * than round trips through the libuv thread pool on the launch path.
 */
export function writeRecord(paths: ContainerPaths, record: ContainerRecord): void {
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, paths.stateFile);
}

/** Like writeRecord, fsync'd: for records that must survive (final state of a kept container). */
export function writeRecordDurable(paths: ContainerPaths, record: ContainerRecord): void {
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, paths.stateFile);
}

/** Parses and checks a state.json text; throws IntegrityError naming the file when it is not one. */
export function parseRecord(text: string, file: string): ContainerRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new IntegrityError(`${file}: not valid JSON`, {
      cause: error,
      hint: 'remove the container with `isobench gc`',
    });
  }
  const r = value as Partial<ContainerRecord> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    r.schemaVersion !== STATE_SCHEMA_VERSION ||
    typeof r.id !== 'string' ||
    !isContainerId(r.id) ||
    typeof r.name !== 'string' ||
    !Array.isArray(r.args) ||
    !Array.isArray(r.cgroupDirs) ||
    (r.status !== 'creating' && r.status !== 'running' && r.status !== 'stopped')
  ) {
    throw new IntegrityError(`${file}: not a container state (schema ${STATE_SCHEMA_VERSION})`, {
      hint: 'remove the container with `isobench gc`',
    });
  }
  return r as ContainerRecord;
}

/** Reads state.json; undefined when the container dir has none (yet, or any more). */
export function readRecord(paths: ContainerPaths): ContainerRecord | undefined {
  let text: string;
  try {
    text = readFileSync(paths.stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseRecord(text, paths.stateFile);
}

/** Parses the monitor's exit file "<exitCode> <signalNumber>\n"; undefined when malformed. */
export function parseExitFile(text: string): { exitCode: number; signalNumber: number } | undefined {
  const match = /^(\d{1,3}) (\d{1,2})\n?$/.exec(text);
  if (!match) return undefined;
  return { exitCode: Number(match[1]), signalNumber: Number(match[2]) };
}

/** Name of a signal number ("SIGKILL"), or "SIG<n>" when Node does not know it. */
export function signalName(signalNumber: number): string {
  for (const [name, value] of Object.entries(osConstants.signals)) {
    if (value === signalNumber) return name;
  }
  return `SIG${signalNumber}`;
}

/** Number of a signal given as "SIGTERM", "TERM" or "15"; throws InputError otherwise. */
export function parseSignal(signal: string | number): { name: string; number: number } {
  if (typeof signal === 'number' || /^\d+$/.test(signal)) {
    const n = Number(signal);
    if (Number.isInteger(n) && n >= 1 && n <= 64) return { name: signalName(n), number: n };
  } else {
    const upper = signal.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const n = (osConstants.signals as Record<string, number | undefined>)[name];
    if (n !== undefined) return { name, number: n };
  }
  throw new InputError(`unknown signal '${signal}'`, {
    hint: 'use a name such as SIGTERM, TERM or KILL, or a number 1-64',
  });
}

/**
 * Turns how the workload ended into an ExitInfo. `oomKills` is the cgroup's OOM kill count.
 * Reported as 'oom-killed' when OOM kills were counted and the workload died by SIGKILL, or
 * exited 137, which is how a shell in front (`sh -c 'a | b'`) reports its SIGKILLed child.
 */
export function toExitInfo(exitCode: number, signal: string | undefined, oomKills: number): ExitInfo {
  const oomKilled = oomKills > 0;
  const sigkill = 128 + osConstants.signals.SIGKILL;
  if (signal !== undefined) {
    const { name, number } = parseSignal(signal);
    return {
      exitCode: 128 + number,
      signal: name,
      oomKilled,
      reason: oomKilled && number === osConstants.signals.SIGKILL ? 'oom-killed' : 'signaled',
    };
  }
  return { exitCode, oomKilled, reason: oomKilled && exitCode === sigkill ? 'oom-killed' : 'exited' };
}

/** What the probes of a refresh saw; the inputs of deriveStatus. */
export interface StatusProbes {
  workloadAlive: boolean;
  monitorAlive: boolean;
  creatorAlive: boolean;
  /** Contents of the monitor's exit file, undefined when absent. */
  exitFileText: string | undefined;
}

/** The derived status and what changed, if anything. */
export interface DerivedStatus {
  status: ContainerStatus;
  /** Set when the container is now known to have stopped and the exit was read from the exit file. */
  exit?: { exitCode: number; signalNumber: number };
  /** Set when stopped with the exit unknown. */
  statusDetail?: string;
}

/**
 * Derives the real status from the record and the probes (pure):
 * - stopped stays stopped;
 * - an exit file means stopped with that exit;
 * - creating holds while its creator lives; a dead creator leaves a stopped leftover;
 * - running holds while the workload lives, or while whoever records its exit (the monitor of a
 *   detached run, the creator of an attached one) still lives and is about to write it;
 * - otherwise stopped with the exit unknown, and why.
 */
export function deriveStatus(record: ContainerRecord, probes: StatusProbes): DerivedStatus {
  if (record.status === 'stopped') return { status: 'stopped' };
  if (probes.exitFileText !== undefined) {
    const parsed = parseExitFile(probes.exitFileText);
    if (parsed) return { status: 'stopped', exit: parsed };
    return { status: 'stopped', statusDetail: 'the exit file written by the monitor is malformed' };
  }
  if (record.status === 'creating') {
    if (probes.creatorAlive) return { status: 'creating' };
    return { status: 'stopped', statusDetail: 'the isobench process creating it died before it started' };
  }
  if (probes.workloadAlive) return { status: 'running' };
  if (record.detached) {
    if (probes.monitorAlive) return { status: 'running' };
    return { status: 'stopped', statusDetail: 'its monitor died before recording the exit' };
  }
  // The creator of an attached run records the exit as soon as its helper reports it.
  if (probes.creatorAlive) return { status: 'running' };
  return { status: 'stopped', statusDetail: 'the attached isobench process died before recording the exit' };
}
