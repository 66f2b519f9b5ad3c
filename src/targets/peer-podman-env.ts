// Podman's private environment under the state root: its own storage, runroot, tmp dir and
// containers.conf (never the host's default storage), plus the instance records gc reads.
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { isIdentityAlive, type ProcessIdentity } from '../util/process.js';
import { runTool, type ToolResult } from './peer-exec.js';

/** cgroup parent of podman's containers (libpod-<id>) and of its conmons (conmon/). */
export const PODMAN_CGROUP_PARENT = '/isobench-podman';

/** The dirs and files of podman's environment below a state root. */
export interface PodmanLayout {
  dir: string;
  graphRoot: string;
  runRoot: string;
  tmpDir: string;
  containersConf: string;
  storageConf: string;
  /** One <name>.json per instance (owner identity) and a <name>/ dir (cidfile, conmon pidfile). */
  instances: string;
}

/** Paths of podman's environment for state root `root` (absolute). Pure. */
export function podmanLayout(root: string): PodmanLayout {
  const dir = path.join(root, 'targets', 'podman');
  return {
    dir,
    graphRoot: path.join(dir, 'root'),
    // podman refuses a runroot longer than 50 characters (conmon's attach socket path must fit
    // sun_path): a short per-state-root dir on /run, where runtime state belongs anyway.
    runRoot: `/run/isobench-podman-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`,
    tmpDir: path.join(dir, 'tmp'),
    containersConf: path.join(dir, 'containers.conf'),
    storageConf: path.join(dir, 'storage.conf'),
    instances: path.join(dir, 'instances'),
  };
}

/** Hard limit of a resource from /proc/self/limits text ("Max processes"), or undefined if unlimited/absent. */
export function parseHardLimit(limitsText: string, name: string): number | undefined {
  const line = limitsText.split('\n').find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard !== undefined && /^\d+$/.test(hard) ? Number(hard) : undefined;
}

/**
 * containers.conf text. Default ulimits stay within our hard limits: podman's defaults (nofile
 * 1048576, nproc 4194304) cannot be set where CAP_SYS_RESOURCE is missing ("error setting rlimit").
 */
export function renderContainersConf(layout: PodmanLayout, nprocHard: number | undefined): string {
  // Even nproc = our own hard limit was refused here (EPERM): stay well below it.
  const nproc = Math.min(nprocHard ?? 4096, 4096);
  return [
    '[containers]',
    `default_ulimits = ["nofile=1024:1024", "nproc=${nproc}:${nproc}"]`,
    '',
    '[engine]',
    'runtime = "runc"',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    `tmp_dir = ${JSON.stringify(layout.tmpDir)}`,
    '',
  ].join('\n');
}

/** storage.conf text: overlay driver in our own graph root. */
export function renderStorageConf(layout: PodmanLayout): string {
  return [
    '[storage]',
    'driver = "overlay"',
    `graphroot = ${JSON.stringify(layout.graphRoot)}`,
    `runroot = ${JSON.stringify(layout.runRoot)}`,
    '',
  ].join('\n');
}

/** Writes the config files and dirs (idempotent). */
export async function writePodmanEnvironment(layout: PodmanLayout): Promise<void> {
  for (const dir of [layout.graphRoot, layout.runRoot, layout.tmpDir, layout.instances]) {
    await fs.mkdir(dir, { recursive: true });
  }
  const nprocHard = parseHardLimit(readFileSync('/proc/self/limits', 'utf8'), 'Max processes');
  await fs.writeFile(layout.containersConf, renderContainersConf(layout, nprocHard));
  await fs.writeFile(layout.storageConf, renderStorageConf(layout));
}

/** Env that points podman at our config files only. */
export function podmanEnv(layout: PodmanLayout): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: layout.containersConf, CONTAINERS_STORAGE_CONF: layout.storageConf };
}

/** Global flags naming our storage (on top of the env, so no host default can win). */
export function podmanGlobalArgs(layout: PodmanLayout): string[] {
  return ['--root', layout.graphRoot, '--runroot', layout.runRoot, '--storage-driver', 'overlay'];
}

/** Runs `podman <global flags> args` in our environment. */
export function runPodman(layout: PodmanLayout, args: string[], timeoutMs = 300_000): Promise<ToolResult> {
  return runTool('podman', [...podmanGlobalArgs(layout), ...args], { env: podmanEnv(layout), timeoutMs });
}

/** instances/<name>.json. */
export interface PodmanInstanceRecord {
  name: string;
  owner: ProcessIdentity;
}

/**
 * Removes podman containers recorded under `root` whose owning isobench process died
 * (`podman rm -f`), with their records. Returns the names removed.
 */
export async function gcPodmanLeftovers(root: string): Promise<{ removed: string[]; problems: string[] }> {
  const layout = podmanLayout(root);
  const removed: string[] = [];
  const problems: string[] = [];
  const names = await fs.readdir(layout.instances).catch(() => [] as string[]);
  for (const file of names.filter((n) => n.endsWith('.json'))) {
    const recordFile = path.join(layout.instances, file);
    const name = file.slice(0, -'.json'.length);
    let record: PodmanInstanceRecord | undefined;
    try {
      record = JSON.parse(await fs.readFile(recordFile, 'utf8')) as PodmanInstanceRecord;
    } catch {
      record = undefined;
    }
    if (record && isIdentityAlive(record.owner)) continue;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      problems.push(`podman instance record ${file} has an invalid name`);
      continue;
    }
    const result = await runPodman(layout, ['rm', '-f', '--time', '0', name]).catch((e: Error) => ({
      exitCode: 127,
      stdout: '',
      stderr: e.message,
    }));
    if (result.exitCode !== 0 && !/no such container/i.test(result.stderr)) {
      problems.push(`podman rm -f ${name}: ${result.stderr.trim()}`);
      continue;
    }
    await fs.rm(path.join(layout.instances, name), { recursive: true, force: true });
    await fs.rm(recordFile, { force: true });
    removed.push(name);
  }
  return { removed, problems };
}
