// A started container as its caller holds it (pid, streams, launch phases, wait/kill/cleanup),
// and how `run` makes one: the last job of a run, after the launch.
import { renameSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../errors.js';
import { isSameProcessAlive } from '../util/process.js';
import type { CgroupHandle } from './cgroups/types.js';
import type { RuntimeContext } from './context.js';
import type { LaunchedHelper } from './launch/helper-process.js';
import type { HelperPhasesNs } from './launch/helper-protocol.js';
import { releaseContainerAddress } from './network/attach.js';
import { refreshContainer } from './refresh.js';
import { type ContainerPaths, type ContainerRecord, toExitInfo, writeRecord } from './state.js';
import type { ExitInfo } from './types.js';
import { deleteContainerDir } from './verbs/remove.js';

/** A started container. */
export interface ContainerHandle {
  /** 64 hex. */
  id: string;
  name: string;
  /** Host pid of the workload (PID 1 in its pid namespace). */
  pid: number;
  /** Present for an attached run with stdio 'pipe'. */
  stdout?: NodeJS.ReadableStream;
  stderr?: NodeJS.ReadableStream;
  /**
   * Where the helper was during the launch (helper start, namespaces, rootfs ready, exec), as
   * absolute CLOCK_MONOTONIC ns (process.hrtime.bigint()'s clock): subtract a stamp taken before
   * run() for ns from launch. Absent when the helper sent none.
   */
  phasesNs?: HelperPhasesNs;
  /**
   * Resolves once the workload exited and its exit is recorded: in state.json, or, with `remove`,
   * once the container is unlisted (its dir moved to the trash in tmp/). Attached, this follows
   * the helper's exit report: the container's mounts (the overlay, whose unmount syncs its upper
   * fs) are still going then, and with `remove` its cgroup and files go after them, in the
   * background: await cleanup() (or Runtime.close()) for all of it to finish.
   * Detached: polls the monitor's exit file.
   */
  wait(): Promise<ExitInfo>;
  /**
   * Attached only: resolves with the host monotonic ns (process.hrtime.bigint()) at which the
   * helper's exit report was read: the moment the host learned the workload's exit status, before
   * wait() has recorded it and before any teardown. NOTE: the container target stamps
   * `startup.exit` here and times cleanup() as `teardown`.
   */
  exitAtNs?: Promise<bigint>;
  /** Sends a signal (default SIGKILL) to the workload if it still runs; never throws for a dead one. */
  kill(signal?: NodeJS.Signals | number): void;
  /**
   * Removes the cgroup (killing what is left in it), waits for the helper (attached) or monitor
   * (detached) to exit, which unmounts the container, then removes the upper/work/rootfs dirs and
   * the state dir; resolves when all is gone: no process, mount, cgroup or dir of it is left.
   * Idempotent. Attached runs with `remove` start it themselves on exit.
   */
  cleanup(): Promise<void>;
  cgroup: CgroupHandle;
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
export function makeHandle(
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
      await releaseContainerAddress(ctx.layout, record);
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
        // The address goes back (and the hosts file forgets it) off the timed path.
        if (record.address !== undefined)
          trackPending(
            ctx,
            releaseContainerAddress(ctx.layout, record).catch(() => undefined),
          );
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
    ...(launched.exited ? { exitAtNs: launched.exited.then(({ atNs }) => atNs) } : {}),
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
