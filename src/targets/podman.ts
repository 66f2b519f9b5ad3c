// The podman peer target: Debian's podman 4.3 (runc underneath, cgroupfs, --network none) running
// the image from isobench's store, imported once into podman's own storage under the state root.
//
// NOTE (timing): launchedAtNs is taken right before spawning `podman run`; everything podman does
// (image lookup, storage mount, conmon, runc create/start) is inside the timed launch; the image
// import in prepare() is not. The exit is `podman run`'s own exit, once it has the exit code
// conmon recorded (attached, podman gives no earlier sign); conmon and the cleanup it starts
// (`podman container cleanup`) may still run then. Teardown: `podman rm -f`, then waiting for
// those to be gone. Containers are run without --rm so writableBytes() can still read the upper
// dir after exit; dispose() removes them. Memory = the podman CLI's tree + conmon's tree (conmon
// double-forks away from the CLI; its pid comes from --conmon-pidfile).
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, WorkloadError } from '../errors.js';
import { exportArchive } from '../image/archive.js';
import { digestHex } from '../image/digest.js';
import { ImageStore } from '../image/store.js';
import { monotonicNs } from '../measure/clock.js';
import { measureDiskUsage } from '../measure/disk-usage.js';
import { readIfPresent } from '../measure/proc-files.js';
import {
  findProcessesByArgv,
  identityOf,
  isIdentityAlive,
  type ProcessIdentity,
  selfIdentity,
} from '../util/process.js';
import { newInstanceId, type PeerTargetOptions } from './peer-oci-target.js';
import {
  PODMAN_CGROUP_PARENT,
  type PodmanInstanceRecord,
  type PodmanLayout,
  podmanEnv,
  podmanGlobalArgs,
  podmanLayout,
  runPodman,
  writePodmanEnvironment,
} from './peer-podman-env.js';
import { PeerInstance } from './peer-process.js';
import { removeCgroupEverywhere } from './peer-rootfs.js';
import type { Availability, Instance, Target, WorkloadSpec } from './types.js';

export { gcPodmanLeftovers } from './peer-podman-env.js';

/** Longest wait for conmon and podman's cleanup to exit once the container is removed. */
const HELPERS_EXIT_TIMEOUT_MS = 10_000;

/** Resolves once none of `processes` runs (a zombie counts as gone), or after the timeout. */
async function waitUntilGone(processes: ProcessIdentity[]): Promise<void> {
  const deadline = Date.now() + HELPERS_EXIT_TIMEOUT_MS;
  for (let delayMs = 1; processes.some(isIdentityAlive) && Date.now() < deadline; delayMs = Math.min(delayMs * 2, 20)) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

const SETUP_HINT = 'install it with the set-up command: bash scripts/setup.sh (Debian packages podman, runc)';

/** Podman's local name for an image: isobench/<name>:<first 12 hex of the manifest digest>. */
export function podmanImageName(ref: string, manifestDigest: string): string {
  const name = (ref.split('@')[0] ?? ref)
    .replace(/:[^/:]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9._/-]+/g, '-');
  const tail =
    name
      .split('/')
      .filter((part) => part !== '')
      .pop() ?? 'image';
  return `localhost/isobench/${tail}:${digestHex(manifestDigest).slice(0, 12)}`;
}

/** `podman run` flags for the workload (after `run`, before the image). Pure. */
export function podmanRunArgs(workload: Pick<WorkloadSpec, 'env' | 'limits'>, name: string, dir: string): string[] {
  const args = [
    '--name',
    name,
    '--network',
    'none',
    '--pull',
    'never',
    '--cgroup-parent',
    PODMAN_CGROUP_PARENT,
    '--cidfile',
    path.join(dir, 'cid'),
    '--conmon-pidfile',
    path.join(dir, 'conmon.pid'),
  ];
  const { memoryBytes, cpus, pidsLimit } = workload.limits;
  if (memoryBytes !== undefined) args.push(`--memory=${memoryBytes}`, `--memory-swap=${memoryBytes}`);
  if (cpus !== undefined) args.push(`--cpus=${cpus}`);
  // podman defaults to 2048 pids; runc/crun bundles set no limit unless asked: keep them alike.
  args.push(`--pids-limit=${pidsLimit ?? -1}`);
  for (const [key, value] of Object.entries(workload.env)) args.push('--env', `${key}=${value}`);
  return args;
}

export class PodmanTarget implements Target {
  readonly kind = 'podman' as const;
  private readonly root: string;
  private readonly layout: PodmanLayout;
  private probed: Promise<Availability> | undefined;
  private envWritten: Promise<void> | undefined;
  /** workload image ref -> podman image name. */
  private readonly images = new Map<string, string>();

  constructor(options: PeerTargetOptions) {
    this.root = options.root;
    this.layout = podmanLayout(options.root);
  }

  private ensureEnvironment(): Promise<void> {
    this.envWritten ??= writePodmanEnvironment(this.layout);
    return this.envWritten;
  }

  /** Available when podman runs and `podman info` works with our storage and config (cached). */
  probe(): Promise<Availability> {
    this.probed ??= (async (): Promise<Availability> => {
      if (typeof process.getuid === 'function' && process.getuid() !== 0) {
        return { available: false, reason: `podman needs root here (running as uid ${process.getuid()}); run as root` };
      }
      try {
        await this.ensureEnvironment(); // podman reads CONTAINERS_STORAGE_CONF even for --version
        const version = await runPodman(this.layout, ['--version'], 10_000);
        if (version.exitCode !== 0) return { available: false, reason: `podman --version failed; ${SETUP_HINT}` };
        const info = await runPodman(this.layout, ['info', '--format', '{{.Host.OCIRuntime.Name}}'], 60_000);
        if (info.exitCode !== 0) {
          return { available: false, reason: `podman info failed: ${info.stderr.trim()}; ${SETUP_HINT}` };
        }
        return { available: true, detail: `${version.stdout.trim()}, runtime ${info.stdout.trim()}, cgroupfs` };
      } catch {
        return { available: false, reason: `podman not found in PATH; ${SETUP_HINT}` };
      }
    })();
    return this.probed;
  }

  /** Imports the image into podman's storage (export OCI archive, `podman pull oci-archive:`, tag); not timed. */
  async prepare(workload: WorkloadSpec): Promise<void> {
    await this.imageName(workload);
  }

  private async imageName(workload: WorkloadSpec): Promise<string> {
    const cached = this.images.get(workload.image);
    if (cached) return cached;
    await this.ensureEnvironment();
    const store = await ImageStore.open(this.root);
    const image = await store.resolve(workload.image);
    const name = podmanImageName(workload.image, image.digest);
    const exists = await runPodman(this.layout, ['image', 'exists', name]);
    if (exists.exitCode !== 0) {
      const tmp = await fs.mkdtemp(path.join(store.layout.tmp, 'podman-import-'));
      try {
        const archive = path.join(tmp, 'image.tar');
        await exportArchive(store, image.digest, archive);
        const pulled = await runPodman(this.layout, ['pull', '-q', `oci-archive:${archive}`]);
        const id = pulled.stdout.trim().split('\n').pop()?.trim();
        if (pulled.exitCode !== 0 || !id) {
          throw new EnvironmentError(`podman could not import ${workload.image}: ${pulled.stderr.trim()}`, {
            hint: SETUP_HINT,
          });
        }
        const tagged = await runPodman(this.layout, ['tag', id, name]);
        if (tagged.exitCode !== 0) {
          throw new EnvironmentError(`podman tag ${id} ${name} failed: ${tagged.stderr.trim()}`, { hint: SETUP_HINT });
        }
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
      }
    }
    this.images.set(workload.image, name);
    return name;
  }

  /**
   * Records the instance (for gc), then stamps launchedAtNs and spawns `podman run` (attached,
   * stdout piped), with argv[0] as --entrypoint so the workload args replace Entrypoint and Cmd.
   */
  async launch(workload: WorkloadSpec): Promise<Instance> {
    const [argv0, ...rest] = workload.args;
    if (argv0 === undefined) throw new WorkloadError('the workload has an empty command');
    const image = await this.imageName(workload);
    const name = newInstanceId('podman');
    const dir = path.join(this.layout.instances, name);
    const recordFile = path.join(this.layout.instances, `${name}.json`);
    await fs.mkdir(dir, { recursive: true });
    const record: PodmanInstanceRecord = { name, owner: selfIdentity() };
    await fs.writeFile(recordFile, JSON.stringify(record));
    const argv = [
      ...podmanGlobalArgs(this.layout),
      'run',
      ...podmanRunArgs(workload, name, dir),
      '--entrypoint',
      argv0,
      image,
      ...rest,
    ];
    let upperDir: string | undefined;
    let released = false;
    const release = async () => {
      if (released) return;
      // Read before `rm`: conmon and the cleanup it runs are the instance's processes too.
      const leftovers = await this.instanceHelpers(dir);
      const removed = await runPodman(this.layout, ['rm', '-f', '--time', '0', name]);
      if (removed.exitCode !== 0 && !/no such container/i.test(removed.stderr)) {
        throw new EnvironmentError(`podman rm -f ${name} failed: ${removed.stderr.trim()}`, {
          hint: 'run `isobench gc` to retry',
        });
      }
      await waitUntilGone(leftovers);
      released = true;
      await fs.rm(dir, { recursive: true, force: true });
      await fs.rm(recordFile, { force: true });
    };
    const launchedAtNs = monotonicNs();
    const child = spawn('podman', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: podmanEnv(this.layout) });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      await release().catch(() => undefined);
      throw new WorkloadError(`cannot start podman: ${(error as Error).message}`, { cause: error });
    }
    return new PeerInstance(
      child,
      workload,
      launchedAtNs,
      {
        extraRootPids: async () => {
          const text = await readIfPresent(path.join(dir, 'conmon.pid'));
          const pid = Number(text?.trim());
          return Number.isInteger(pid) && pid > 0 ? [pid] : [];
        },
        cgroupPath: async () => {
          const cid = (await readIfPresent(path.join(dir, 'cid')))?.trim();
          return cid && /^[0-9a-f]{64}$/.test(cid) ? `${PODMAN_CGROUP_PARENT}/libpod-${cid}` : undefined;
        },
        writableDir: async () => {
          if (upperDir === undefined) {
            const inspected = await runPodman(this.layout, [
              'container',
              'inspect',
              '--format',
              '{{.GraphDriver.Data.UpperDir}}',
              name,
            ]);
            const dirText = inspected.stdout.trim();
            if (inspected.exitCode !== 0 || !path.isAbsolute(dirText)) {
              throw new WorkloadError(
                `cannot find the upper dir of podman container ${name}: ${inspected.stderr.trim()}`,
              );
            }
            upperDir = dirText;
          }
          return upperDir;
        },
        measureDir: async (upper) => (await measureDiskUsage([upper])).allocatedBytes,
        kill: async () => {
          await runPodman(this.layout, ['kill', '--signal', 'KILL', name]);
        },
        release,
      },
      'podman run',
    );
  }

  /** conmon (from its pid file) and the `container cleanup` it starts for this container, while they run. */
  private async instanceHelpers(dir: string): Promise<ProcessIdentity[]> {
    const found: ProcessIdentity[] = [];
    const conmon = identityOf(Number((await readIfPresent(path.join(dir, 'conmon.pid')))?.trim()));
    if (conmon !== undefined) found.push(conmon);
    const cid = (await readIfPresent(path.join(dir, 'cid')))?.trim();
    if (cid && /^[0-9a-f]{64}$/.test(cid)) {
      const storage = this.layout.graphRoot;
      found.push(...findProcessesByArgv((argv) => argv.includes(cid) && argv.includes(storage)));
    }
    return found;
  }

  /** Allocated bytes of the image's layer dirs in podman's storage. */
  async imageFootprintBytes(workload: WorkloadSpec): Promise<number> {
    const name = await this.imageName(workload);
    const inspected = await runPodman(this.layout, [
      'image',
      'inspect',
      '--format',
      '{{.GraphDriver.Data.UpperDir}}:{{.GraphDriver.Data.LowerDir}}',
      name,
    ]);
    if (inspected.exitCode !== 0) {
      throw new EnvironmentError(`podman image inspect ${name} failed: ${inspected.stderr.trim()}`, {
        hint: SETUP_HINT,
      });
    }
    const dirs = inspected.stdout
      .trim()
      .split(':')
      .filter((d) => path.isAbsolute(d));
    return (await measureDiskUsage(dirs)).allocatedBytes;
  }

  /** Removes the cgroup parent (and conmon's cgroup in it) once no instance uses them. */
  async cleanup(): Promise<void> {
    await removeCgroupEverywhere(`${PODMAN_CGROUP_PARENT}/conmon`);
    await removeCgroupEverywhere(PODMAN_CGROUP_PARENT);
  }
}
