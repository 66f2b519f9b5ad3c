// `run`, first job: validate the request (cheap checks first) and resolve it against the image
// into a plan (command, env, cwd, user, limits) and the first state record, before any side effect.
import path from 'node:path';
import { InputError } from '../../errors.js';
import type { StoredImage } from '../../image/types.js';
import { readProcessStartTicks } from '../../util/process.js';
import { resolveCapabilities } from '../capabilities.js';
import { validateLimits } from '../cgroups/index.js';
import type { RuntimeContext } from '../context.js';
import { checkPortsFree, type PublishedPort, parsePublishList } from '../network/publish.js';
import type { ProcessSecurity } from '../process-security.js';
import { type CompiledFilter, type SeccompChoice, seccompFilterFor } from '../seccomp/index.js';
import {
  type ContainerRecord,
  generateContainerId,
  generateContainerName,
  parseSignal,
  STATE_SCHEMA_VERSION,
  validateContainerName,
} from '../state.js';
import type { NetworkMode, ResourceLimits, UlimitSpec } from '../types.js';
import { checkUlimitsSettable } from '../ulimit.js';
import { type ResolvedUserIds, resolveUser } from '../user.js';
import {
  DEFAULT_PATH,
  mergeEnv,
  parseNetworkChoice,
  validateArgs,
  validateEnv,
  validateHostname,
  validateWorkdir,
} from '../validate-request.js';
import type { MountRequest } from '../volumes/parse.js';
import { type MountRecord, resolveMounts } from '../volumes/resolve.js';

/** What to run. Unset fields come from the image config (Cmd/Entrypoint, Env, WorkingDir, User). */
export interface RunRequest {
  /** Image reference ("name:tag", or a digest) in the store. */
  image: string;
  /** Replaces the image's Cmd (the Entrypoint stays in front). */
  args?: string[];
  /**
   * Replaces the image's Entrypoint, as Docker's --entrypoint does: the image's Cmd is then
   * dropped too, so the command is this entrypoint followed by `args` only.
   */
  entrypoint?: string[];
  /** Unique container name; generated when absent. */
  name?: string;
  /** KEY=VALUE entries overriding the image's Env. */
  env?: string[];
  /** Absolute working directory. */
  workdir?: string;
  /** "name", "uid", "name:group" or "uid:gid", resolved from the image's /etc/passwd and /etc/group. */
  user?: string;
  /** Default: the first 12 hex digits of the id. */
  hostname?: string;
  limits?: ResourceLimits;
  /** none (only loopback, the default), host, bridge (the default network) or a network's name. */
  network?: string;
  /** Docker's -p values, `[127.0.0.1:]HOSTPORT:CPORT[/tcp|udp]`; bridge networks only. */
  publish?: string[];
  /** Run in the background: output goes to stdout.log/stderr.log, a monitor records the exit. */
  detach?: boolean;
  /** Remove the container (cgroup, dirs, state) once it exits. */
  remove?: boolean;
  /** Attached runs only; default 'inherit'. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  /** Default: isobench's default profile (Docker's policy). */
  seccomp?: SeccompChoice;
  /** Attached runs only (-i): the workload reads our stdin; default 'ignore' (/dev/null). */
  stdin?: 'inherit' | 'ignore';
  /** Attached runs only (-t): the workload gets a pty, relayed by the helper. */
  tty?: boolean;
  /** --init: a reaper as PID 1 that forwards signals to the workload. */
  init?: boolean;
  /** --shm-size in bytes; default 64 MiB. */
  shmSizeBytes?: number;
  /** --ulimit values (parsed by parseUlimits). */
  ulimits?: UlimitSpec[];
  /** Docker's --cap-add/--cap-drop names (with or without CAP_, any case, or ALL); default: Docker's set. */
  capAdd?: string[];
  capDrop?: string[];
  /** Default true (stricter than Docker's false). */
  noNewPrivileges?: boolean;
  /** -v, --mount, --tmpfs (volumes/parse.ts parses Docker's spellings); bind sources must exist. */
  mounts?: MountRequest[];
  /** --read-only: the rootfs read-only; /dev, /proc, /sys, tmpfs mounts and volumes stay writable. */
  readonlyRootfs?: boolean;
  onWarning?: (message: string) => void;
}

/** Everything resolved from the request and the image, before any side effect. */
export interface RunPlan {
  id: string;
  name: string;
  nameGiven: boolean;
  image: StoredImage;
  imageRef: string;
  lowerDirs: string[];
  args: string[];
  env: string[];
  cwd: string;
  userSpec: string;
  user: ResolvedUserIds;
  hostname: string;
  network: NetworkMode;
  /** network 'bridge': which network. */
  networkName: string | undefined;
  ports: PublishedPort[];
  limits: ResourceLimits;
  stopSignal: string;
  /** Undefined: unconfined. */
  seccomp: CompiledFilter | undefined;
  init: boolean;
  shmSizeBytes: number | undefined;
  ulimits: UlimitSpec[];
  security: ProcessSecurity;
  /** Host paths resolved; volumes by name (made, when missing, once the record names them). */
  mounts: MountRecord[];
}

let creatorStartTime: number | null | undefined;

/** Our own /proc start time, read once: it identifies this process as a container's creator. */
function ownStartTime(): number | null {
  if (creatorStartTime === undefined) creatorStartTime = readProcessStartTicks(process.pid) ?? null;
  return creatorStartTime;
}

/** Validates the request (cheap checks first) and resolves image, command, env, cwd and user. */
export async function planRun(ctx: RuntimeContext, req: RunRequest): Promise<RunPlan> {
  if (req.name !== undefined) validateContainerName(req.name);
  if (req.env) validateEnv(req.env);
  if (req.workdir !== undefined) validateWorkdir(req.workdir);
  if (req.hostname !== undefined) validateHostname(req.hostname);
  const { mode: network, network: networkName } = parseNetworkChoice(req.network ?? 'none');
  const ports = parsePublishList(req.publish ?? []);
  if (ports.length > 0 && network !== 'bridge') {
    throw new InputError(`-p needs a bridge network, got --network ${req.network ?? 'none'}`, {
      hint: 'add --network bridge (or a network of your own)',
    });
  }
  const limits = req.limits ?? {};
  validateLimits(limits, ctx.hostCpuCount);
  validateInteractive(req);
  checkUlimitsSettable(req.ulimits ?? []);
  const security: ProcessSecurity = {
    capabilities: resolveCapabilities(req.capAdd, req.capDrop),
    noNewPrivileges: req.noNewPrivileges ?? true,
  };
  // The profile's capability conditions (e.g. CAP_SYS_ADMIN allows more) see the chosen set.
  const seccomp = seccompFilterFor(req.seccomp ?? { kind: 'default' }, security.capabilities);
  const mounts = req.mounts?.length ? resolveMounts(req.mounts) : [];

  const image = await ctx.store.resolve(req.image);
  await checkPortsFree(ports);
  const config = image.config.config ?? {};
  const args =
    req.entrypoint !== undefined
      ? [...req.entrypoint, ...(req.args ?? [])]
      : [...(config.Entrypoint ?? []), ...(req.args?.length ? req.args : (config.Cmd ?? []))];
  validateArgs(args, req.image);
  const lowerDirs = await ctx.store.lowerDirs(image);
  const id = generateContainerId();
  const hostname = req.hostname ?? id.slice(0, 12);
  let env = mergeEnv(config.Env ?? [], req.env ?? []);
  if (!env.some((e) => e.startsWith('PATH='))) env = [DEFAULT_PATH, ...env];
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${hostname}`);
  const imageCwd = config.WorkingDir ? path.posix.resolve('/', config.WorkingDir) : '/';
  const userSpec = req.user ?? config.User ?? '';
  const userKey = `${image.digest}\0${userSpec}`;
  let user = ctx.userCache.get(userKey);
  if (!user) {
    user = await resolveUser(userSpec, lowerDirs);
    ctx.userCache.set(userKey, user);
  }
  if (user.home !== undefined && !env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
  let stopSignal = 'SIGTERM';
  try {
    if (config.StopSignal) stopSignal = parseSignal(config.StopSignal).name;
  } catch {
    // A bad StopSignal in an image must not make it unusable: fall back to SIGTERM.
  }
  return {
    id,
    name: req.name ?? generateContainerName(id),
    nameGiven: req.name !== undefined,
    image,
    imageRef: req.image,
    lowerDirs,
    args,
    env,
    cwd: req.workdir ?? imageCwd,
    userSpec,
    user,
    hostname,
    network,
    networkName,
    ports,
    limits,
    stopSignal,
    seccomp,
    init: req.init === true,
    shmSizeBytes: req.shmSizeBytes,
    ulimits: req.ulimits ?? [],
    security,
    mounts,
  };
}

/** -i/-t need an attached run (there is no attach verb); --shm-size at least one page. */
function validateInteractive(req: RunRequest): void {
  if (req.detach && (req.tty || req.stdin === 'inherit')) {
    throw new InputError(`${req.tty ? '--tty' : '--interactive'} cannot be combined with --detach`, {
      hint: 'isobench has no attach: run attached with -it, or detached without -i/-t',
    });
  }
  if (req.shmSizeBytes !== undefined && (!Number.isSafeInteger(req.shmSizeBytes) || req.shmSizeBytes < 4096)) {
    throw new InputError(`expected --shm-size to be at least 4k, got ${req.shmSizeBytes} bytes`, {
      hint: 'e.g. --shm-size 256m',
    });
  }
}

/** The record as first written: status 'creating', owned by this process. */
export function initialRecord(plan: RunPlan, req: RunRequest): ContainerRecord {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    id: plan.id,
    name: plan.name,
    image: { ref: plan.imageRef, digest: plan.image.digest },
    lowerDirs: plan.lowerDirs,
    args: plan.args,
    env: plan.env,
    cwd: plan.cwd,
    user: plan.userSpec,
    uid: plan.user.uid,
    gid: plan.user.gid,
    hostname: plan.hostname,
    network: plan.network,
    ...(plan.networkName !== undefined ? { networkName: plan.networkName } : {}),
    ...(plan.ports.length > 0 ? { ports: plan.ports } : {}),
    limits: plan.limits,
    stopSignal: plan.stopSignal,
    createdAt: new Date().toISOString(),
    status: 'creating',
    creatorPid: process.pid,
    creatorStartTime: ownStartTime(),
    detached: req.detach === true,
    remove: req.remove === true,
    cgroupDirs: [],
    ...(plan.mounts.length > 0 ? { mounts: plan.mounts } : {}),
    ...(req.readonlyRootfs ? { readonlyRootfs: true } : {}),
  };
}
