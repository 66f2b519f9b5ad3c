// A started container as its caller holds it: pid, streams, launch phases, wait/kill/cleanup.
import type { CgroupHandle } from './cgroups/types.js';
import type { HelperPhasesNs } from './launch/helper-protocol.js';
import type { ExitInfo } from './types.js';

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
   * NOTE: the harness times run() -> wait() as start-to-exit, then awaits cleanup() untimed.
   * Detached: polls the monitor's exit file.
   */
  wait(): Promise<ExitInfo>;
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
