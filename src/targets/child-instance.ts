// What an instance over one spawned child process (a native workload, a peer runtime's CLI)
// shares: the ready marker read from its stdout, its exit, and its output lines.
import type { ChildProcess } from 'node:child_process';
import { followChildExit } from './child-exit.js';
import { createReadyMarkerReader, type ReadyMarkerReader } from './ready-marker.js';
import type { Instance, InstanceExit, MemorySample, WorkloadSpec } from './types.js';

/**
 * An Instance over `child` (stdout piped). `launchedAtNs` is the caller's stamp taken right before
 * spawn. Ready: the first stdout line starting with the marker, else the exit. `label` names the
 * child in errors ("the workload").
 */
export abstract class ChildProcessInstance implements Instance {
  readonly ready: Promise<bigint>;
  readonly exited: Promise<InstanceExit>;
  protected readonly reader: ReadyMarkerReader;
  /** How the child ended, once it has. */
  protected exit: InstanceExit | undefined;
  private readyAtNs: bigint | undefined;

  /**
   * `marksNs`: phase marks taken before the child was spawned (absolute monotonic ns, in order,
   * named in STARTUP_PHASES), e.g. a peer's bundle and overlay mount.
   */
  constructor(
    protected readonly child: ChildProcess,
    workload: Pick<WorkloadSpec, 'readyMarker'>,
    readonly launchedAtNs: bigint,
    label: string,
    private readonly marksNs: Record<string, bigint> = {},
  ) {
    this.reader = createReadyMarkerReader(workload.readyMarker);
    this.ready = this.reader.ready;
    this.ready.then(
      (atNs) => {
        this.readyAtNs = atNs;
      },
      () => undefined,
    );
    this.exited = followChildExit(child, this.reader, workload.readyMarker, label).then((exit) => {
      this.exit = exit;
      return exit;
    });
  }

  /** ns from launch: the marks given at construction, then readyNs and exitNs once known. */
  phases(): Record<string, number> {
    const phases: Record<string, number> = {};
    const fromLaunch = (atNs: bigint) => Number(atNs - this.launchedAtNs);
    for (const [name, atNs] of Object.entries(this.marksNs)) phases[name] = fromLaunch(atNs);
    if (this.readyAtNs !== undefined) phases.readyNs = fromLaunch(this.readyAtNs);
    if (this.exit !== undefined) phases.exitNs = fromLaunch(this.exit.atNs);
    return phases;
  }

  outputLines(): string[] {
    return this.reader.lines();
  }

  abstract sampleMemory(): Promise<MemorySample>;
  abstract writableBytes(): Promise<number>;
  abstract dispose(): Promise<void>;
}
