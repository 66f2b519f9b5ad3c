// `run`: validate the request against the image, reserve a name, create the container's dirs
// and cgroup, launch it, and hand back a handle. Every step before the workload runs is undone,
// in reverse order, when a later one fails: a failed start leaves nothing behind.
// NOTE: this is the path the harness times (start-to-exit); keep it free of extra processes and
// of redundant fs calls. state.json is written when the name is reserved, once the workload
// runs (its pid) and once it exits.
import { mkdirSync, renameSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, requireRoot } from '../../errors.js';
import type { StoredImage } from '../../image/types.js';
import { withLock } from '../../util/lock.js';
import { isSameProcessAlive, readProcessStartTicks } from '../../util/process.js';
import { validateLimits } from '../cgroups/index.js';
import type { CgroupHandle } from '../cgroups/types.js';
import type { RuntimeContext } from '../context.js';
import type { ContainerHandle } from '../handle.js';
import { type LaunchedHelper, spawnLaunch } from '../launch/helper-process.js';
import { refreshContainer } from '../refresh.js';
import {
  type ContainerPaths,
  type ContainerRecord,
  containerPaths,
  generateContainerId,
  generateContainerName,
  parseSignal,
  STATE_SCHEMA_VERSION,
  toExitInfo,
  validateContainerName,
  writeRecord,
} from '../state.js';
import type { ContainerSpec, ExitInfo, LaunchMode, NetworkMode, ResourceLimits } from '../types.js';
import { type ResolvedUserIds, resolveUser } from '../user.js';
import {
  DEFAULT_PATH,
  mergeEnv,
  parseNetworkMode,
  validateArgs,
  validateEnv,
  validateHostname,
  validateWorkdir,
} from '../validate-request.js';
import { readAllRecords } from './list.js';
import { deleteContainerDir } from './remove.js';

/** What to run. Unset fields come from the image config (Cmd/Entrypoint, Env, WorkingDir, User). */
export interface RunRequest {
  /** Image reference ("name:tag", or a digest) in the store. */
  image: string;
  /** Replaces the image's Cmd (the Entrypoint stays in front). */
  args?: string[];
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
  /** Default 'none' (only loopback). */
  network?: NetworkMode;
  /** Run in the background: output goes to stdout.log/stderr.log, a monitor records the exit. */
  detach?: boolean;
  /** Remove the container (cgroup, dirs, state) once it exits. */
  remove?: boolean;
  /** Attached runs only; default 'inherit'. */
  stdio?: 'inherit' | 'pipe' | 'ignore';
  onWarning?: (message: string) => void;
}

/** Everything resolved from the request and the image, before any side effect. */
interface RunPlan {
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
  limits: ResourceLimits;
  stopSignal: string;
}

let creatorStartTime: number | null | undefined;

/** Our own /proc start time, read once: it identifies this process as a container's creator. */
function ownStartTime(): number | null {
  if (creatorStartTime === undefined) creatorStartTime = readProcessStartTicks(process.pid) ?? null;
  return creatorStartTime;
}

/** Validates the request (cheap checks first) and resolves image, command, env, cwd and user. */
async function planRun(ctx: RuntimeContext, req: RunRequest): Promise<RunPlan> {
  if (req.name !== undefined) validateContainerName(req.name);
  if (req.env) validateEnv(req.env);
  if (req.workdir !== undefined) validateWorkdir(req.workdir);
  if (req.hostname !== undefined) validateHostname(req.hostname);
  const network = parseNetworkMode(req.network ?? 'none');
  const limits = req.limits ?? {};
  validateLimits(limits, ctx.hostCpuCount);

  const image = await ctx.store.resolve(req.image);
  const config = image.config.config ?? {};
  const args = [...(config.Entrypoint ?? []), ...(req.args?.length ? req.args : (config.Cmd ?? []))];
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
    limits,
    stopSignal,
  };
}

/** The record as first written: status 'creating', owned by this process. */
function initialRecord(plan: RunPlan, req: RunRequest): ContainerRecord {
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
    limits: plan.limits,
    stopSignal: plan.stopSignal,
    createdAt: new Date().toISOString(),
    status: 'creating',
    creatorPid: process.pid,
    creatorStartTime: ownStartTime(),
    detached: req.detach === true,
    remove: req.remove === true,
    cgroupDirs: [],
  };
}

/**
 * Reserves the name by writing the container's first state.json under the containers lock, so
 * two runs cannot take one name. Precondition: the container dir exists.
 * @throws ConflictError naming the container that holds the name and how to free it.
 */
async function reserveName(ctx: RuntimeContext, record: ContainerRecord, paths: ContainerPaths, nameGiven: boolean) {
  await withLock(ctx.layout.locks, 'containers', async () => {
    const taken = new Map(readAllRecords(ctx).map((r) => [r.name, r]));
    const holder = taken.get(record.name);
    if (holder && nameGiven) {
      const live = await refreshContainer(ctx, holder);
      throw new ConflictError(
        `the name '${record.name}' is already used by container ${holder.id.slice(0, 12)} (${live.status})`,
        {
          hint: `remove it with \`isobench rm ${live.status === 'stopped' ? '' : '-f '}${record.name}\`, or choose another --name`,
        },
      );
    }
    for (let n = 2; taken.has(record.name); n++) record.name = `${generateContainerName(record.id)}_${n}`;
    writeRecord(paths, record);
  });
}

/**
 * Removes what a failed start created, in reverse order: cgroup (and anything in it), the helper
 * (gone once the workload is: `released`, when it had started), then the dir.
 */
async function rollback(
  cgroup: CgroupHandle | undefined,
  paths: ContainerPaths,
  released: Promise<void> | undefined,
  onWarning?: (m: string) => void,
) {
  try {
    await cgroup?.destroy();
  } catch (error) {
    onWarning?.(`could not remove the cgroup of a failed start: ${(error as Error).message}; run \`isobench gc\``);
  }
  // The helper holds the container's mounts until it exits: the dirs under them go after.
  await released;
  try {
    await deleteContainerDir(paths.dir);
  } catch (error) {
    onWarning?.(`could not remove ${paths.dir} after a failed start: ${(error as Error).message}; run \`isobench gc\``);
  }
}

/**
 * Creates and starts a container. Attached (default): resolves once the workload has been exec'd;
 * handle.wait() gives its exit. Detached: a monitor outlives us and records the exit.
 * @throws InputError (bad request), NotFoundError (unknown image), ConflictError (name taken),
 *   EnvironmentError (not root), HelperError (the launch failed; nothing is left behind).
 */
export async function runContainer(ctx: RuntimeContext, req: RunRequest): Promise<ContainerHandle> {
  requireRoot('running a container');
  const plan = await planRun(ctx, req);
  const paths = containerPaths(ctx.layout.containers, plan.id);
  const record = initialRecord(plan, req);
  // The helper first: its fork/exec and the clone into new namespaces (the costly part of the
  // launch) overlap with making the container below; it waits for its config before anything
  // of the workload runs.
  const pending = spawnLaunch(
    req.detach ? 'detached' : 'attached',
    plan.network,
    req.stdio ?? 'inherit',
    req.onWarning,
  );
  let pendingUsed = false;
  // NOTE: the cgroup is created only once the container dir exists (gc relies on that order, and
  // leaves a young dir without state.json alone). The id is random, so the dir needs no lock, and
  // the cgroup (no lock either) is made before the name is reserved.
  try {
    mkdirSync(paths.dir, { mode: 0o711 });
  } catch (error) {
    await pending.abandon();
    throw error;
  }
  const cgroupCreated = ctx.cgroups.create(plan.id, plan.limits);
  cgroupCreated.catch(() => undefined);

  let cgroup: CgroupHandle | undefined;
  let launched: LaunchedHelper | undefined;
  try {
    const reserved = (async () => {
      mkdirSync(paths.upperDir, { mode: 0o755 });
      mkdirSync(paths.workDir, { mode: 0o700 });
      mkdirSync(paths.rootfsDir, { mode: 0o755 });
      await reserveName(ctx, record, paths, plan.nameGiven);
    })();
    // Both settle before we go on: a failure of either is reported (the name conflict first), and
    // the rollback below sees the cgroup whenever it was made.
    const [reservation, creation] = await Promise.allSettled([reserved, cgroupCreated]);
    if (creation.status === 'rejected') {
      throw reservation.status === 'rejected' ? reservation.reason : creation.reason;
    }
    cgroup = creation.value;
    if (reservation.status === 'rejected') throw reservation.reason;
    const spec: ContainerSpec = {
      id: plan.id,
      lowerDirs: plan.lowerDirs,
      upperDir: paths.upperDir,
      workDir: paths.workDir,
      rootfsDir: paths.rootfsDir,
      args: plan.args,
      env: plan.env,
      cwd: plan.cwd,
      uid: plan.user.uid,
      gid: plan.user.gid,
      additionalGids: plan.user.additionalGids,
      hostname: plan.hostname,
      network: plan.network,
      limits: plan.limits,
    };
    const mode: LaunchMode = req.detach
      ? {
          kind: 'detached',
          stdoutLog: paths.stdoutLog,
          stderrLog: paths.stderrLog,
          exitFile: paths.exitFile,
          // Only the container's own cgroup dirs: the parent is shared with other containers.
          ...(req.remove
            ? { removeOnExit: { dirs: [paths.dir], cgroupDirs: cgroup.procsFiles.map((f) => path.dirname(f)) } }
            : {}),
        }
      : { kind: 'attached', stdio: req.stdio ?? 'inherit' };
    pendingUsed = true;
    launched = await pending.launch(spec, { mode, cgroupProcsFiles: cgroup.procsFiles, configFile: paths.helperConf });
    record.status = 'running';
    record.startedAt = new Date().toISOString();
    record.pid = launched.pid;
    record.pidStartTime = readProcessStartTicks(launched.pid) ?? null;
    record.monitorPid = launched.monitorPid;
    record.monitorStartTime = readProcessStartTicks(launched.monitorPid) ?? null;
    record.cgroupDirs = cgroup.dirs;
    writeRecord(paths, record);
  } catch (error) {
    // Anything made so far goes, in reverse order: a failed start leaves nothing behind.
    if (!pendingUsed) await pending.abandon();
    await rollback(cgroup, paths, launched?.released, req.onWarning);
    throw error;
  }
  return makeHandle(ctx, record, paths, cgroup, launched);
}

/** Adds `work` to what Runtime.close() awaits, until it settles. */
function trackPending(ctx: RuntimeContext, work: Promise<void>): void {
  ctx.pendingCleanups.add(work);
  work.then(
    () => ctx.pendingCleanups.delete(work),
    () => ctx.pendingCleanups.delete(work),
  );
}

/** Upper bound on waiting for a detached monitor to exit once its workload is killed. */
const MONITOR_EXIT_TIMEOUT_MS = 10_000;

/**
 * Resolves once a detached container's monitor has exited: it holds the container's mount
 * namespace until it has recorded the exit (and, with --rm, deleted the dirs), so its dirs may go
 * only after. Gives up after MONITOR_EXIT_TIMEOUT_MS (a monitor stuck in cgroup rmdir retries).
 */
async function waitMonitorExit(record: ContainerRecord): Promise<void> {
  const deadline = Date.now() + MONITOR_EXIT_TIMEOUT_MS;
  for (
    let delayMs = 2;
    isSameProcessAlive(record.monitorPid, record.monitorStartTime);
    delayMs = Math.min(delayMs * 2, 50)
  ) {
    if (Date.now() > deadline) return;
    await sleep(delayMs);
  }
}

/**
 * The handle of a started container. Attached runs record their exit as soon as the helper
 * reports it; the helper then unmounts the container (the overlay's unmount syncs its upper fs)
 * and exits, off the timed path: cleanup() and Runtime.close() await that (launched.released).
 */
function makeHandle(
  ctx: RuntimeContext,
  record: ContainerRecord,
  paths: ContainerPaths,
  cgroup: CgroupHandle,
  launched: LaunchedHelper,
): ContainerHandle {
  // Attached: the helper exits after the workload, once the mounts are gone. Detached: the monitor
  // does (the spawned helper's exit says nothing about the mounts).
  const mountsGone = (): Promise<void> => (launched.exited ? launched.released : waitMonitorExit(record));
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    if (cleaning) return cleaning;
    // Synchronous part first: the container leaves `ps` at once (a rename is one cheap syscall);
    // the trash name carries our pid so gc can finish the job if we die.
    const trash = path.join(ctx.layout.tmp, `rm-${process.pid}-${record.id}`);
    let moved = true;
    try {
      renameSync(paths.dir, trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      moved = false; // removed meanwhile (rm -f from elsewhere)
    }
    const removal = (async () => {
      // First: it kills a workload still running, so the helper can reap it, unmount and exit.
      await cgroup.destroy();
      await mountsGone();
      if (moved) await deleteContainerDir(trash);
    })();
    cleaning = removal;
    trackPending(ctx, removal);
    return removal;
  };

  let finished: Promise<ExitInfo> | undefined;
  if (launched.exited) {
    // Chained here, after the 'running' record was written, so the final record always wins.
    finished = launched.exited.then(async ({ exitCode, signal }) => {
      // The helper's teardown (unmount and sync) runs on: Runtime.close() awaits it too.
      trackPending(ctx, launched.released);
      const exit = toExitInfo(exitCode, signal, await cgroup.readOomKills().catch(() => 0));
      if (record.remove) {
        // Not awaited: teardown is not part of start-to-exit; cleanup() / Runtime.close() await it.
        cleanup().catch((error: Error) =>
          ctx.onCleanupError?.(`removing container ${record.name} failed: ${error.message}; run \`isobench gc\``),
        );
      } else {
        Object.assign(record, { status: 'stopped', finishedAt: new Date().toISOString(), exit });
        try {
          writeRecord(paths, record);
        } catch (error) {
          // Removed meanwhile (rm -f from elsewhere): nothing left to record into.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
      return exit;
    });
    // wait() may never be called (a harness that only kills): the rejection is still handled.
    finished.catch(() => undefined);
  }
  // Detached: poll only when asked (a background poll would race gc and stop writing the record).
  let detachedExit: Promise<ExitInfo> | undefined;
  const wait = (): Promise<ExitInfo> => {
    if (finished) return finished;
    detachedExit ??= waitDetached(ctx, record);
    return detachedExit;
  };

  return {
    id: record.id,
    name: record.name,
    pid: launched.pid,
    ...(launched.phasesNs ? { phasesNs: launched.phasesNs } : {}),
    ...(launched.stdout ? { stdout: launched.stdout } : {}),
    ...(launched.stderr ? { stderr: launched.stderr } : {}),
    wait,
    kill: (signal: NodeJS.Signals | number = 'SIGKILL') => {
      // Without a known start time the pid may already belong to someone else.
      if (!isSameProcessAlive(launched.pid, record.pidStartTime)) return;
      try {
        process.kill(launched.pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
    cleanup,
    cgroup,
  };
}

/** Polls a detached container until its monitor recorded the exit. */
async function waitDetached(ctx: RuntimeContext, record: ContainerRecord): Promise<ExitInfo> {
  for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, 100)) {
    const current = await refreshContainer(ctx, record);
    if (current.status === 'stopped') {
      if (current.exit) return current.exit;
      throw new ConflictError(`container ${record.name} stopped without a recorded exit: ${current.statusDetail}`, {
        hint: `see \`isobench inspect ${record.name}\``,
      });
    }
    if (record.remove && !isSameProcessAlive(record.monitorPid, record.monitorStartTime)) {
      throw new ConflictError(`container ${record.name} was removed on exit (--rm); its exit status is gone`);
    }
    await sleep(delayMs);
  }
}
