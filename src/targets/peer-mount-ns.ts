// A long-lived private mount namespace in which /sys/fs/cgroup/unified is unmounted, so that crun
// (which refuses hybrid cgroup hosts) sees a pure v1 host. Held open by a tiny shell that exits
// when its stdin closes: if isobench dies, the holder and its namespace go with it.
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { monotonicNs } from '../measure/clock.js';
import { identityOf, isIdentityAlive, type ProcessIdentity, selfIdentity } from '../util/process.js';
import { runTool } from './peer-exec.js';

/** cgroup layout of the host, from the mount table. */
export type CgroupHostMode = 'v1' | 'v2' | 'hybrid' | 'none';

/** Where the hybrid host's cgroup2 mount sits (the one crun trips over). */
export const UNIFIED_MOUNT = '/sys/fs/cgroup/unified';

/** Classifies the host from /proc/self/mountinfo text: v1 hierarchies, a cgroup2 mount, or both. */
export function classifyCgroupHost(mountinfo: string): CgroupHostMode {
  let v1 = false;
  let v2 = false;
  for (const line of mountinfo.split('\n')) {
    const fsType = line.split(' - ')[1]?.split(' ')[0];
    if (fsType === 'cgroup') v1 = true;
    if (fsType === 'cgroup2') v2 = true;
  }
  if (v1 && v2) return 'hybrid';
  return v1 ? 'v1' : v2 ? 'v2' : 'none';
}

/** The mode of this host (reads /proc/self/mountinfo). */
export function detectCgroupHostMode(): CgroupHostMode {
  return classifyCgroupHost(readFileSync('/proc/self/mountinfo', 'utf8'));
}

/** What gc needs to find a holder whose owner died. */
export interface HolderRecord {
  owner: ProcessIdentity;
  holder: ProcessIdentity;
}

/** Dir of holder records below a state root. */
export function holdersDir(root: string): string {
  return path.join(root, 'targets', 'holders');
}

const HOLDER_SCRIPT = `umount ${UNIFIED_MOUNT} || exit 1; echo ready; read _`;

/** A running holder; `nsPath` is its mount namespace, for nsenter. */
export class MountNamespaceHolder {
  private constructor(
    private readonly child: ChildProcess,
    readonly identity: ProcessIdentity,
    private readonly recordFile: string,
  ) {}

  /** /proc/<pid>/ns/mnt of the holder. */
  get nsPath(): string {
    return `/proc/${this.identity.pid}/ns/mnt`;
  }

  /** Prefix that runs a command inside the namespace (nsenter execs, it does not fork, for --mount only). */
  commandPrefix(): string[] {
    return ['nsenter', `--mount=${this.nsPath}`, '--'];
  }

  /**
   * Starts a holder and records it under `root` (for gc). Precondition: root, a hybrid host.
   * @throws EnvironmentError when unshare or the umount fails.
   */
  static async start(root: string): Promise<MountNamespaceHolder> {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', HOLDER_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const ok = await new Promise<boolean>((resolve) => {
      child.stdout!.once('data', () => resolve(true));
      child.once('exit', () => resolve(false));
      child.once('error', () => resolve(false));
    });
    const identity = ok && child.pid !== undefined ? identityOf(child.pid) : undefined;
    if (!identity) {
      child.kill('SIGKILL');
      throw new EnvironmentError(`cannot create a mount namespace without ${UNIFIED_MOUNT}: ${stderr.trim()}`, {
        hint: 'run as root with util-linux installed (unshare, nsenter): bash scripts/setup.sh',
      });
    }
    // Not waited on by the event loop: the holder must never keep isobench alive.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    const recordFile = path.join(holdersDir(root), `${identity.pid}.json`);
    await fs.mkdir(holdersDir(root), { recursive: true });
    const record: HolderRecord = { owner: selfIdentity(), holder: identity };
    await fs.writeFile(recordFile, JSON.stringify(record));
    return new MountNamespaceHolder(child, identity, recordFile);
  }

  /** Whether the holder still runs. */
  isAlive(): boolean {
    return isIdentityAlive(this.identity);
  }

  /** Ends the holder (closing its stdin, then SIGKILL) and removes its record. Idempotent. */
  async stop(): Promise<void> {
    if (isIdentityAlive(this.identity)) {
      const gone = new Promise<void>((resolve) => {
        if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
        else this.child.once('exit', () => resolve());
      });
      this.child.stdin?.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(timer);
    }
    await fs.rm(this.recordFile, { force: true });
  }
}

/** Kills holders recorded under `root` whose owner is dead; returns their pids. */
export async function gcHolders(root: string): Promise<number[]> {
  const killed: number[] = [];
  const names = await fs.readdir(holdersDir(root)).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = path.join(holdersDir(root), name);
    let record: HolderRecord;
    try {
      record = JSON.parse(await fs.readFile(file, 'utf8')) as HolderRecord;
    } catch {
      await fs.rm(file, { force: true });
      continue;
    }
    if (isIdentityAlive(record.owner)) continue;
    if (isIdentityAlive(record.holder)) {
      try {
        process.kill(record.holder.pid, 'SIGKILL');
        killed.push(record.holder.pid);
      } catch {
        // Exited meanwhile.
      }
    }
    await fs.rm(file, { force: true });
  }
  return killed;
}

/**
 * Median extra cost of entering the holder's namespace: `nsenter --mount=<ns> /bin/true` minus
 * `/bin/true`, in ns, over `runs` alternating pairs. This is part of every timed crun launch on a
 * hybrid host; reported so it can be stated or subtracted.
 */
export async function measureNsenterCostNs(holder: MountNamespaceHolder, runs = 21): Promise<number> {
  const timeOnce = async (file: string, args: string[]): Promise<number> => {
    const start = monotonicNs();
    await runTool(file, args);
    return Number(monotonicNs() - start);
  };
  const diffs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const plain = await timeOnce('/bin/true', []);
    const entered = await timeOnce('nsenter', [`--mount=${holder.nsPath}`, '--', '/bin/true']);
    diffs.push(entered - plain);
  }
  diffs.sort((a, b) => a - b);
  return diffs[Math.floor(diffs.length / 2)]!;
}
