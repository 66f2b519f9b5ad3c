// `run`: validate the request against the image, reserve a name, create the container's dirs
// and cgroup, launch it, and hand back a handle. Every step before the workload runs is undone,
// in reverse order, when a later one fails: a failed start leaves nothing behind. Its jobs:
// plan (run-plan.ts), name reservation (reserve-name.ts), launch (here), handle (../handle.ts).
// NOTE: this is the path the harness times (start-to-exit); keep it free of extra processes and
// of redundant fs calls. state.json is written when the name is reserved, once the workload
// runs (its pid) and once it exits.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireRoot } from '../../errors.js';
import { readProcessStartTicks } from '../../util/process.js';
import { capabilityMask } from '../capabilities.js';
import type { CgroupHandle } from '../cgroups/types.js';
import type { RuntimeContext } from '../context.js';
import { type ContainerHandle, makeHandle } from '../handle.js';
import { type LaunchedHelper, spawnLaunch } from '../launch/helper-process.js';
import { attachContainer, type BridgeAttachment, detachContainer } from '../network/attach.js';
import type { PublishedPort } from '../network/publish.js';
import { writeProcessSecurity } from '../process-security.js';
import { serializeStoredFilter } from '../seccomp/index.js';
import { type ContainerPaths, containerPaths, writeRecord } from '../state.js';
import type { ContainerSpec, LaunchMode } from '../types.js';
import { specMounts, volumeNames } from '../volumes/resolve.js';
import { ensureVolumes } from '../volumes/store.js';
import { deleteContainerDir } from './remove.js';
import { reserveName } from './reserve-name.js';
import { initialRecord, planRun, type RunRequest } from './run-plan.js';

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

/** The spec fields of a bridge network: the attachment, the ports, and its hosts and resolv.conf bound read-only. */
function bridgeSpec(
  bridge: BridgeAttachment,
  ports: PublishedPort[],
): Pick<ContainerSpec, 'bridge' | 'ports' | 'binds'> {
  return {
    bridge,
    ...(ports.length > 0 ? { ports } : {}),
    binds: [
      { source: bridge.hostsFile, target: '/etc/hosts', readonly: true },
      { source: bridge.resolvConfFile, target: '/etc/resolv.conf', readonly: true },
    ],
  };
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
  const attached = {
    kind: 'attached' as const,
    stdio: req.stdio ?? 'inherit',
    ...(req.stdin ? { stdin: req.stdin } : {}),
    ...(req.tty ? { tty: true } : {}),
  };
  const pending = spawnLaunch(req.detach ? { kind: 'detached' } : attached, plan.network, req.onWarning);
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
  // Bridge networks: an address leased now that the dir exists (a lease without one is stale).
  const attaching = plan.networkName === undefined ? undefined : attachContainer(ctx.layout, plan, plan.networkName);
  attaching?.catch(() => undefined);

  let cgroup: CgroupHandle | undefined;
  let launched: LaunchedHelper | undefined;
  let bridge: BridgeAttachment | undefined;
  try {
    const reserved = (async () => {
      mkdirSync(paths.upperDir, { mode: 0o755 });
      mkdirSync(paths.workDir, { mode: 0o700 });
      mkdirSync(paths.rootfsDir, { mode: 0o755 });
      if (plan.seccomp) writeFileSync(paths.seccompFilter, serializeStoredFilter(plan.seccomp), { mode: 0o600 });
      writeProcessSecurity(paths.processSecurity, plan.security);
      await reserveName(ctx, record, paths, plan.nameGiven);
      // After the record names them: a concurrent `volume rm` sees this container, or is done.
      await ensureVolumes(ctx.layout, volumeNames(plan.mounts));
    })();
    // Both settle before we go on: a failure of either is reported (the name conflict first), and
    // the rollback below sees the cgroup whenever it was made.
    const [reservation, creation] = await Promise.allSettled([reserved, cgroupCreated]);
    if (creation.status === 'rejected') {
      throw reservation.status === 'rejected' ? reservation.reason : creation.reason;
    }
    cgroup = creation.value;
    if (reservation.status === 'rejected') throw reservation.reason;
    bridge = await attaching;
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
      ...(bridge ? bridgeSpec(bridge, plan.ports) : {}),
      limits: plan.limits,
      ...(plan.seccomp ? { seccomp: { bytes: plan.seccomp.bytes, flags: plan.seccomp.flags } } : {}),
      ...(plan.init ? { init: true } : {}),
      ...(plan.shmSizeBytes !== undefined ? { shmSizeBytes: plan.shmSizeBytes } : {}),
      ...(plan.ulimits.length > 0 ? { ulimits: plan.ulimits } : {}),
      capabilityMask: capabilityMask(plan.security.capabilities),
      noNewPrivileges: plan.security.noNewPrivileges,
      ...(plan.mounts.length > 0 ? specMounts(ctx.layout, plan.mounts) : {}),
      ...(req.readonlyRootfs ? { readonlyRootfs: true } : {}),
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
      : attached;
    pendingUsed = true;
    launched = await pending.launch(spec, { mode, cgroupProcsFiles: cgroup.procsFiles });
    record.status = 'running';
    record.startedAt = new Date().toISOString();
    record.pid = launched.pid;
    record.pidStartTime = readProcessStartTicks(launched.pid) ?? null;
    record.monitorPid = launched.monitorPid;
    record.monitorStartTime = readProcessStartTicks(launched.monitorPid) ?? null;
    record.cgroupDirs = cgroup.dirs;
    if (bridge) record.address = bridge.address;
    writeRecord(paths, record);
  } catch (error) {
    // Anything made so far goes, in reverse order: a failed start leaves nothing behind.
    if (!pendingUsed) await pending.abandon();
    await rollback(cgroup, paths, launched?.released, req.onWarning);
    // The veth went with the container's net namespace; the lease goes here.
    const leased = bridge ?? (await attaching?.catch(() => undefined));
    if (leased) await detachContainer(ctx.layout, plan.id, leased.network, leased.address).catch(() => undefined);
    throw error;
  }
  return makeHandle(ctx, record, paths, cgroup, launched);
}
