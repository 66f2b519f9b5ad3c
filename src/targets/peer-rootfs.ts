// Per-instance OCI bundles for runc/crun: <root>/targets/peers/<id>/{config.json, rootfs, upper,
// work, owner.json}. The rootfs is an overlay of the image's layer dirs (lower) and a fresh upper,
// as containerd's snapshotter hands runc a rootfs. owner.json is written BEFORE mounting so a
// crash at any point leaves enough behind for gcPeerLeftovers().
import { promises as fs, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, InputError } from '../errors.js';
import { rootLayout } from '../paths.js';
import { isIdentityAlive, type ProcessIdentity, selfIdentity } from '../util/process.js';
import { describeCommand, runTool } from './peer-exec.js';
import { gcHolders } from './peer-mount-ns.js';
import { gcPodmanLeftovers } from './peer-podman-env.js';

/** Longest mount option string the kernel takes in one page (mount(2) copies at most PAGE_SIZE). */
const MAX_MOUNT_OPTIONS = 4000;

/** Which runtime owns an instance; decides how gc deletes its leftover state. */
export type OciPeerKind = 'runc' | 'crun';

/** owner.json: enough to clean an instance whose owner crashed. */
export interface PeerInstanceRecord {
  id: string;
  runtime: OciPeerKind;
  owner: ProcessIdentity;
  /** The holder whose mount namespace has the rootfs mounted; absent: the host namespace. */
  mountHolder?: ProcessIdentity;
  rootfs: string;
  cgroupsPath: string;
}

/** Dir holding one dir per live (or leftover) runc/crun instance. */
export function peersDir(root: string): string {
  return path.join(root, 'targets', 'peers');
}

/** The paths of one instance bundle. */
export interface PeerBundlePaths {
  dir: string;
  rootfs: string;
  upper: string;
  work: string;
  config: string;
  record: string;
}

/** Paths for instance `id` (not created). */
export function bundlePaths(root: string, id: string): PeerBundlePaths {
  const dir = path.join(peersDir(root), id);
  return {
    dir,
    rootfs: path.join(dir, 'rootfs'),
    upper: path.join(dir, 'upper'),
    work: path.join(dir, 'work'),
    config: path.join(dir, 'config.json'),
    record: path.join(dir, 'owner.json'),
  };
}

/**
 * overlay mount options. Lower dirs under `layersDir` are given relative to it (mount runs with
 * that cwd), which keeps ~60 layers within one page of options, as containerd does.
 * @throws InputError when the options still exceed the kernel's page.
 */
export function overlayOptions(lowerDirs: string[], layersDir: string, upper: string, work: string): string {
  const lower = lowerDirs
    .map((dir) => {
      const rel = path.relative(layersDir, dir);
      return rel.startsWith('..') || path.isAbsolute(rel) ? dir : rel;
    })
    .join(':');
  const options = joinOverlayOptions(lower, upper, work);
  if (options.length > MAX_MOUNT_OPTIONS) {
    throw new InputError(`the image has too many layers for one overlay mount (${lowerDirs.length})`, {
      hint: 'squash the image into fewer layers',
    });
  }
  return options;
}

/** overlay mount options with absolute lower dirs, or undefined when they do not fit in one page. */
export function absoluteOverlayOptions(lowerDirs: string[], upper: string, work: string): string | undefined {
  const options = joinOverlayOptions(lowerDirs.join(':'), upper, work);
  return options.length > MAX_MOUNT_OPTIONS ? undefined : options;
}

function joinOverlayOptions(lower: string, upper: string, work: string): string {
  for (const p of [lower, upper, work]) {
    if (/[,\n]/.test(p)) throw new InputError(`overlay path '${p}' holds a comma or newline`);
  }
  return `lowerdir=${lower},upperdir=${upper},workdir=${work}`;
}

/** Runs a command, inside the holder's namespace when a prefix is given. */
async function runIn(prefix: string[], file: string, args: string[], cwd?: string) {
  // setns(CLONE_NEWNS) moves cwd to the namespace's root (setns(2)), and nsenter --wd opens the dir
  // BEFORE entering (a host mount, which overlayfs refuses as lowerdir): chdir once inside instead.
  const argv =
    cwd !== undefined && prefix.length > 0
      ? [...prefix, '/bin/sh', '-c', 'cd -- "$0" && exec "$@"', cwd, file, ...args]
      : [...prefix, file, ...args];
  return runTool(argv[0]!, argv.slice(1), cwd === undefined ? {} : { cwd });
}

/** Options of {@link writePeerBundle} and {@link createPeerBundle}. */
export interface CreateBundleOptions {
  root: string;
  id: string;
  runtime: OciPeerKind;
  lowerDirs: string[];
  cgroupsPath: string;
  /** config.json body, written as is. */
  config: object;
  /** nsenter prefix + identity of the holder when the mount must live in its namespace. */
  holder?: { prefix: string[]; identity: ProcessIdentity };
}

/**
 * Creates the instance dir, records its owner (before anything else: gc needs it) and writes the
 * dirs and config.json. Synchronous: a few small in-memory fs calls, as an engine makes them in
 * process, where fs.promises would add a thread-pool round trip each to the timed launch.
 * Precondition: peersDir(root) exists (prepare makes it). On failure the dir is removed again.
 */
export function writePeerBundle(options: CreateBundleOptions): PeerBundlePaths {
  const paths = bundlePaths(options.root, options.id);
  mkdirSync(paths.dir);
  const record: PeerInstanceRecord = {
    id: options.id,
    runtime: options.runtime,
    owner: selfIdentity(),
    rootfs: paths.rootfs,
    cgroupsPath: options.cgroupsPath,
  };
  if (options.holder) record.mountHolder = options.holder.identity;
  try {
    writeFileSync(paths.record, JSON.stringify(record));
    for (const dir of [paths.rootfs, paths.upper, paths.work]) mkdirSync(dir);
    writeFileSync(paths.config, JSON.stringify(options.config));
  } catch (error) {
    rmSync(paths.dir, { recursive: true, force: true });
    throw error;
  }
  return paths;
}

/**
 * Mounts the overlay rootfs of a written bundle: absolute lower dirs when they fit in one page (one
 * exec of mount(8), or of nsenter into the holder's namespace and mount), else relative to the
 * layers dir (mount's cwd, reached through a shell inside the holder). On failure the instance
 * dir is removed. @throws EnvironmentError naming the mount's error.
 */
export async function mountPeerRootfs(
  options: Pick<CreateBundleOptions, 'root' | 'lowerDirs' | 'holder'>,
  paths: PeerBundlePaths,
): Promise<void> {
  try {
    const absolute = absoluteOverlayOptions(options.lowerDirs, paths.upper, paths.work);
    const layersDir = rootLayout(options.root).layers;
    const mountOptions = absolute ?? overlayOptions(options.lowerDirs, layersDir, paths.upper, paths.work);
    const result = await runIn(
      options.holder?.prefix ?? [],
      'mount',
      ['-t', 'overlay', 'overlay', '-o', mountOptions, paths.rootfs],
      absolute === undefined ? layersDir : undefined,
    );
    if (result.exitCode !== 0) {
      throw new EnvironmentError(`mount overlay on ${paths.rootfs} failed: ${result.stderr.trim()}`, {
        hint: 'overlayfs must be available (modprobe overlay) and the state root on a filesystem overlay accepts as upper',
      });
    }
  } catch (error) {
    await fs.rm(paths.dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Creates the instance dir, records its owner, writes config.json and mounts the overlay rootfs
 * (writePeerBundle, then mountPeerRootfs). On failure everything made so far is removed again.
 */
export async function createPeerBundle(options: CreateBundleOptions): Promise<PeerBundlePaths> {
  await fs.mkdir(peersDir(options.root), { recursive: true });
  const paths = writePeerBundle(options);
  await mountPeerRootfs(options, paths);
  return paths;
}

/** Whether `target` is a mount point in this (host) mount namespace. */
export function isMountedHere(target: string): boolean {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  return mountinfo.split('\n').some((line) => unescapeMountPath(line.split(' ')[4] ?? '') === target);
}

// mountinfo escapes space, tab, newline and backslash as octal (proc(5)).
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/**
 * Unmounts the rootfs (lazily if busy) in the host namespace, or in the holder's when a prefix is
 * given (a dead holder took its mounts with it), then removes the instance dir.
 */
export async function removePeerBundle(paths: PeerBundlePaths, holder?: { prefix: string[]; alive: boolean }) {
  if (holder === undefined) {
    if (isMountedHere(paths.rootfs)) {
      const result = await runTool('umount', [paths.rootfs]);
      if (result.exitCode !== 0) await runTool('umount', ['-l', paths.rootfs]);
    }
  } else if (holder.alive) {
    const result = await runIn(holder.prefix, 'umount', [paths.rootfs]);
    if (result.exitCode !== 0) await runIn(holder.prefix, 'umount', ['-l', paths.rootfs]);
  }
  if (isMountedHere(paths.rootfs)) {
    throw new EnvironmentError(`${paths.rootfs} is still mounted; not removing its upper dir`, {
      hint: `unmount it (umount -l ${paths.rootfs}) and run \`isobench gc\``,
    });
  }
  await fs.rm(paths.dir, { recursive: true, force: true });
}

/** cgroup v1 hierarchy mount points (/sys/fs/cgroup/<name>) and a cgroup2 mount, if any. */
export function cgroupMountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => /^(cgroup|cgroup2)$/.test(line.split(' - ')[1]?.split(' ')[0] ?? ''))
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''));
}

/**
 * Removes the cgroup `cgroupsPath` (absolute, e.g. /isobench-peers/<id>) from every hierarchy where
 * it exists and is empty; returns the dirs that remain (still populated or busy).
 */
export async function removeCgroupEverywhere(cgroupsPath: string): Promise<string[]> {
  if (!cgroupsPath.startsWith('/') || cgroupsPath.split('/').includes('..')) {
    throw new InputError(`cgroupsPath '${cgroupsPath}' must be absolute without '..'`);
  }
  const left: string[] = [];
  for (const mount of cgroupMountPoints()) {
    const dir = path.join(mount, cgroupsPath);
    try {
      await fs.rmdir(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') left.push(dir);
    }
  }
  return left;
}

/** Outcome of {@link gcPeerLeftovers}. */
export interface PeerGcReport {
  /** Instance ids whose leftovers were removed. */
  removed: string[];
  /** Holder pids killed. */
  killedHolders: number[];
  /** What could not be cleaned, one line each. */
  problems: string[];
}

/**
 * Cleans runc/crun instances under `root` whose owning isobench process is dead: deletes the
 * runtime's container (killing what still runs), unmounts the rootfs (lazily), removes its
 * cgroups and its dir; then kills holders whose owner died, and `podman rm -f`s podman instances
 * whose owner died. Instances of live owners are left alone. Precondition: root.
 */
export async function gcPeerLeftovers(root: string): Promise<PeerGcReport> {
  const report: PeerGcReport = { removed: [], killedHolders: [], problems: [] };
  const names = await fs.readdir(peersDir(root)).catch(() => [] as string[]);
  for (const name of names) {
    const paths = bundlePaths(root, name);
    let record: PeerInstanceRecord | undefined;
    try {
      record = JSON.parse(await fs.readFile(paths.record, 'utf8')) as PeerInstanceRecord;
    } catch {
      record = undefined; // Crashed before owner.json was complete: nothing was mounted or started yet.
    }
    if (record && isIdentityAlive(record.owner)) continue;
    try {
      if (record) await deleteLeftoverContainer(record);
      if (isMountedHere(paths.rootfs)) await runTool('umount', ['-l', paths.rootfs]);
      if (record) {
        const left = await removeCgroupEverywhere(record.cgroupsPath);
        for (const dir of left) report.problems.push(`cgroup ${dir} is still in use`);
      }
      if (isMountedHere(paths.rootfs)) {
        report.problems.push(`${paths.rootfs} is still mounted`);
        continue;
      }
      await fs.rm(paths.dir, { recursive: true, force: true });
      report.removed.push(name);
    } catch (error) {
      report.problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  report.killedHolders = await gcHolders(root);
  const podman = await gcPodmanLeftovers(root);
  report.removed.push(...podman.removed);
  report.problems.push(...podman.problems);
  return report;
}

// The runtime's own state (/run/runc, /run/crun) outlives us: `delete -f` kills and forgets it.
async function deleteLeftoverContainer(record: PeerInstanceRecord): Promise<void> {
  // owner.json is a file on disk, and we run as root: never pass an unchecked id to a shell.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(record.id)) throw new InputError(`invalid instance id in owner.json`);
  if (record.runtime === 'runc') {
    await runTool('runc', ['delete', '-f', record.id]).catch(() => undefined);
    return;
  }
  const args = ['delete', '-f', record.id];
  if (record.mountHolder && isIdentityAlive(record.mountHolder)) {
    await runTool('nsenter', [`--mount=/proc/${record.mountHolder.pid}/ns/mnt`, '--', 'crun', ...args]).catch(
      () => undefined,
    );
    return;
  }
  // crun refuses hybrid hosts in the host namespace: use a throwaway namespace without cgroup2.
  const script = `umount /sys/fs/cgroup/unified 2>/dev/null; exec crun ${args.join(' ')}`;
  const result = await runTool('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script]).catch(
    () => undefined,
  );
  if (result && result.exitCode !== 0 && !/not exist|No such/i.test(result.stderr)) {
    throw new EnvironmentError(`${describeCommand('crun', args)} failed: ${result.stderr.trim()}`);
  }
}
