// What runc and crun share: image -> per-instance bundle (untimed), then `<runtime> run --bundle`
// (timed). The runtime-specific parts (binary, a command prefix, probe) come from the subclass.
//
// NOTE (timing, to compare figures): launchedAtNs is taken right BEFORE spawning `<runtime> run`;
// config.json and the overlay mount are made before that and are NOT timed, as when containerd
// hands runc a ready snapshot. isobench's own runtime mounts its overlay inside the timed launch.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolveUser } from '../container/user.js';
import { EnvironmentError, WorkloadError } from '../errors.js';
import { ImageStore } from '../image/store.js';
import type { ImageRuntimeConfig } from '../image/types.js';
import { monotonicNs } from '../measure/clock.js';
import { measureDiskUsage } from '../measure/disk-usage.js';
import { isIdentityAlive, type ProcessIdentity } from '../util/process.js';
import { buildOciConfig } from './oci-bundle.js';
import { runTool } from './peer-exec.js';
import { PeerInstance } from './peer-process.js';
import {
  bundlePaths,
  createPeerBundle,
  type OciPeerKind,
  type PeerBundlePaths,
  removeCgroupEverywhere,
  removePeerBundle,
} from './peer-rootfs.js';
import type { Availability, Instance, Target, WorkloadSpec } from './types.js';

/** cgroup parent of every runc/crun instance: /isobench-peers/<instance id>. */
export const PEER_CGROUP_PARENT = '/isobench-peers';

/** Options shared by the peer targets. */
export interface PeerTargetOptions {
  /** Absolute state root (image store, bundles). */
  root: string;
}

/** What prepare() resolved for one image, reused by every launch. */
interface PreparedImage {
  config: ImageRuntimeConfig;
  lowerDirs: string[];
  user: { uid: number; gid: number; additionalGids: number[] };
}

/** Where the runtime is run: a command prefix (nsenter ...) and the namespace holder it implies. */
export interface RuntimeInvocation {
  prefix: string[];
  holder?: ProcessIdentity;
}

/** Fresh instance id: also the runtime's container id and the cgroup leaf name. */
export function newInstanceId(kind: string): string {
  return `isobench-${kind}-${randomBytes(6).toString('hex')}`;
}

export abstract class OciPeerTarget implements Target {
  abstract readonly kind: OciPeerKind;
  protected readonly root: string;
  private readonly prepared = new Map<string, PreparedImage>();
  private storePromise: Promise<ImageStore> | undefined;

  constructor(options: PeerTargetOptions) {
    this.root = options.root;
  }

  abstract probe(): Promise<Availability>;

  /** The runtime binary name (looked up in PATH). */
  protected abstract binary(): string;

  /** How to invoke the runtime now (crun on a hybrid host: inside the holder's namespace). */
  protected abstract invocation(): RuntimeInvocation;

  /** Subclass hook run once in prepare() (crun: start the namespace holder). */
  protected async prepareRuntime(): Promise<void> {}

  private store(): Promise<ImageStore> {
    this.storePromise ??= ImageStore.open(this.root);
    return this.storePromise;
  }

  /** Resolves the image, unpacks its layer dirs and the user; not timed. */
  async prepare(workload: WorkloadSpec): Promise<void> {
    await this.prepareRuntime();
    await this.preparedImage(workload);
  }

  private async preparedImage(workload: WorkloadSpec): Promise<PreparedImage> {
    const cached = this.prepared.get(workload.image);
    if (cached) return cached;
    const store = await this.store();
    const image = await store.resolve(workload.image);
    const lowerDirs = await store.lowerDirs(image);
    const user = await resolveUser(image.config.config.User, lowerDirs);
    const prepared = { config: image.config.config, lowerDirs, user };
    this.prepared.set(workload.image, prepared);
    return prepared;
  }

  /**
   * Builds the bundle (config.json + overlay rootfs; untimed), then stamps launchedAtNs and spawns
   * `<runtime> run --bundle <dir> <id>`, which stays the parent of the container's init and exits
   * with its exit code. @throws WorkloadError when the runtime cannot be started.
   */
  async launch(workload: WorkloadSpec): Promise<Instance> {
    if (workload.args.length === 0) throw new WorkloadError('the workload has an empty command');
    const image = await this.preparedImage(workload);
    const id = newInstanceId(this.kind);
    const cgroupsPath = `${PEER_CGROUP_PARENT}/${id}`;
    const invocation = this.invocation();
    const holder = invocation.holder ? { prefix: invocation.prefix, identity: invocation.holder } : undefined;
    const paths = await createPeerBundle({
      root: this.root,
      id,
      runtime: this.kind,
      lowerDirs: image.lowerDirs,
      cgroupsPath,
      config: buildOciConfig({
        image: image.config,
        workload,
        rootfsPath: bundlePaths(this.root, id).rootfs,
        hostname: id.slice(0, 63),
        cgroupsPath,
        user: image.user,
      }),
      holder,
    });
    const argv = [...invocation.prefix, this.binary(), 'run', '--bundle', paths.dir, id];
    const release = () => this.release(id, paths, cgroupsPath, invocation);
    const launchedAtNs = monotonicNs();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      await release();
      throw new WorkloadError(`cannot start ${this.binary()}: ${(error as Error).message}`, { cause: error });
    }
    return new PeerInstance(
      child,
      workload,
      launchedAtNs,
      {
        cgroupPath: async () => cgroupsPath,
        writableDir: async () => paths.upper,
        measureDir: async (dir) => (await measureDiskUsage([dir])).allocatedBytes,
        kill: async () => {
          await this.runRuntime(invocation, ['kill', id, 'KILL']);
        },
        release,
      },
      `${this.kind} run`,
    );
  }

  /** Runs `<runtime> args` the way launches do; returns its result. */
  protected async runRuntime(invocation: RuntimeInvocation, args: string[]) {
    const argv = [...invocation.prefix, this.binary(), ...args];
    return runTool(argv[0]!, argv.slice(1));
  }

  // After the CLI exited: forget the runtime's state if it kept any, unmount, drop dir and cgroup.
  private async release(id: string, paths: PeerBundlePaths, cgroupsPath: string, invocation: RuntimeInvocation) {
    const holderAlive = invocation.holder === undefined || isIdentityAlive(invocation.holder);
    if (holderAlive) await this.runRuntime(invocation, ['delete', '-f', id]).catch(() => undefined);
    await removePeerBundle(
      paths,
      invocation.holder === undefined ? undefined : { prefix: invocation.prefix, alive: holderAlive },
    );
    const left = await removeCgroupEverywhere(cgroupsPath);
    if (left.length > 0) {
      throw new EnvironmentError(`cgroup ${left[0]} of ${this.kind} instance ${id} is still in use`, {
        hint: 'run `isobench gc` once its processes are gone',
      });
    }
  }

  /** Allocated bytes of the image's unpacked layer dirs (shared by every instance). */
  async imageFootprintBytes(workload: WorkloadSpec): Promise<number> {
    const image = await this.preparedImage(workload);
    return (await measureDiskUsage(image.lowerDirs)).allocatedBytes;
  }

  /** Removes the shared cgroup parent when no instance uses it any more. */
  async cleanup(): Promise<void> {
    await removeCgroupEverywhere(PEER_CGROUP_PARENT);
  }
}

/** Probe of a runtime binary: `<binary> --version` runs, and we are root. */
export async function probeRuntimeBinary(binary: string): Promise<Availability> {
  const hint = `install it with the set-up command: bash scripts/setup.sh (Debian package ${binary})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { available: false, reason: `${binary} needs root (running as uid ${process.getuid()}); run as root` };
  }
  try {
    const result = await runTool(binary, ['--version'], { timeoutMs: 10_000 });
    if (result.exitCode !== 0) {
      return { available: false, reason: `${binary} --version failed: ${result.stderr.trim()}; ${hint}` };
    }
    const version = result.stdout.split('\n')[0]?.trim() ?? '';
    return { available: true, detail: version };
  } catch {
    return { available: false, reason: `${binary} not found in PATH; ${hint}` };
  }
}
