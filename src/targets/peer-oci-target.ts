// What runc and crun share: image resolved once (prepare, untimed), then per instance a bundle
// (dir, config.json), the overlay mount of the image's layers and `<runtime> run --bundle`, all
// timed. The runtime-specific parts (binary, a command prefix, probe, state dir) come from the
// subclass.
//
// NOTE (timing, to compare figures): launchedAtNs is taken BEFORE the bundle and the overlay mount,
// so the clock covers the same per-instance work as isobench's own launch (which mounts its
// overlay inside it); the marks bundleNs and overlayNs show them, and overlayNs -> readyNs is the
// runtime alone. The mount is an exec of mount(8) (via nsenter for crun on a hybrid host): an
// engine in front of runc would call mount(2) in process, a little cheaper. Exit: `runc run`
// attached gives no earlier sign than its own exit, which comes after it has reaped the workload
// and deleted its container (cgroups, state); the teardown is what is left after that.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
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
  mountPeerRootfs,
  type OciPeerKind,
  type PeerBundlePaths,
  peersDir,
  removeCgroupEverywhere,
  removePeerBundle,
  writePeerBundle,
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

  /** Where the runtime keeps a container's state (runc: /run/runc/<id>, its default --root as root). */
  protected abstract stateDir(id: string): string;

  /** Subclass hook run once in prepare() (crun: start the namespace holder). */
  protected async prepareRuntime(): Promise<void> {}

  private store(): Promise<ImageStore> {
    this.storePromise ??= ImageStore.open(this.root);
    return this.storePromise;
  }

  /** Resolves the image, unpacks its layer dirs and the user, makes the bundles' dir; not timed. */
  async prepare(workload: WorkloadSpec): Promise<void> {
    await this.prepareRuntime();
    await this.preparedImage(workload);
    await fs.mkdir(peersDir(this.root), { recursive: true });
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
   * Stamps launchedAtNs, then builds the bundle (config.json), mounts its overlay rootfs and spawns
   * `<runtime> run --bundle <dir> <id>`, which stays the parent of the container's init and exits
   * with its exit code. @throws WorkloadError when the runtime cannot be started.
   */
  async launch(workload: WorkloadSpec): Promise<Instance> {
    if (workload.args.length === 0) throw new WorkloadError('the workload has an empty command');
    const image = await this.preparedImage(workload);
    const invocation = this.invocation();
    const launchedAtNs = monotonicNs();
    const id = newInstanceId(this.kind);
    const cgroupsPath = `${PEER_CGROUP_PARENT}/${id}`;
    const holder = invocation.holder ? { prefix: invocation.prefix, identity: invocation.holder } : undefined;
    const bundle = {
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
      ...(holder ? { holder } : {}),
    };
    const paths = writePeerBundle(bundle);
    const bundleNs = monotonicNs();
    await mountPeerRootfs(bundle, paths);
    const overlayNs = monotonicNs();
    const argv = [...invocation.prefix, this.binary(), 'run', '--bundle', paths.dir, id];
    const release = () => this.release(id, paths, cgroupsPath, invocation);
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
      { bundleNs, overlayNs },
    );
  }

  /** Runs `<runtime> args` the way launches do; returns its result. */
  protected async runRuntime(invocation: RuntimeInvocation, args: string[]) {
    const argv = [...invocation.prefix, this.binary(), ...args];
    return runTool(argv[0]!, argv.slice(1));
  }

  // After the CLI exited: forget the runtime's state if it kept any, unmount, drop dir and cgroup.
  // `run` deletes its container before it exits: `delete -f` (another exec of the runtime) is
  // needed only when it did not get that far (killed), i.e. when its state dir is still there.
  private async release(id: string, paths: PeerBundlePaths, cgroupsPath: string, invocation: RuntimeInvocation) {
    const holderAlive = invocation.holder === undefined || isIdentityAlive(invocation.holder);
    if (holderAlive && existsSync(this.stateDir(id))) {
      await this.runRuntime(invocation, ['delete', '-f', id]).catch(() => undefined);
    }
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
