// What every lifecycle verb receives: the open, warm pieces of one runtime (layout, image store,
// cgroup manager, caches). Its own module so that the verbs import it and runtime.ts (which
// imports every verb) stays out of their import graph.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { ImageStore } from '../image/store.js';
import type { StoredImage } from '../image/types.js';
import { type RootLayout, rootLayout } from '../paths.js';
import { type CgroupFs, nodeCgroupFs } from './cgroups/cgroup-fs.js';
import { detectCgroupHost } from './cgroups/detect-host.js';
import { parseParentPath } from './cgroups/layout.js';
import { createCgroupManager } from './cgroups/manager.js';
import type { CgroupManager } from './cgroups/types.js';
import type { ResolvedUserIds } from './user.js';

/** The image store operations the runtime needs (structural, so tests could pass a fake). */
export interface RuntimeImageStore {
  resolve(ref: string): Promise<StoredImage>;
  lowerDirs(image: StoredImage): Promise<string[]> | string[];
}

/**
 * Memoizes ref -> image and image -> lower dirs while images/index.json stays the same file
 * (it is replaced by rename on every change, so inode + mtime + size identify a version). Saves
 * reading and hashing the manifest and config on every run of the harness's warm loop.
 */
export class CachedImageStore implements RuntimeImageStore {
  private version = '';
  private readonly images = new Map<string, StoredImage>();
  private readonly lowers = new Map<string, string[]>();

  constructor(
    private readonly store: RuntimeImageStore,
    private readonly indexFile: string,
  ) {}

  private checkVersion(): void {
    let version = 'missing';
    try {
      const st = statSync(this.indexFile, { bigint: true });
      version = `${st.ino}:${st.mtimeNs}:${st.size}`;
    } catch {
      // No index yet: resolve() reports the unknown image.
    }
    if (version !== this.version) {
      this.version = version;
      this.images.clear();
      this.lowers.clear();
    }
  }

  async resolve(ref: string): Promise<StoredImage> {
    this.checkVersion();
    const cached = this.images.get(ref);
    if (cached) return cached;
    const image = await this.store.resolve(ref);
    this.images.set(ref, image);
    return image;
  }

  async lowerDirs(image: StoredImage): Promise<string[]> {
    const cached = this.lowers.get(image.digest);
    if (cached) return cached;
    const dirs = await this.store.lowerDirs(image);
    this.lowers.set(image.digest, dirs);
    return dirs;
  }
}

/**
 * The runtime's cgroupfs access: nodeCgroupFs, except that creating cgroups and reading or writing
 * control files is synchronous. These are in-memory kernfs operations of tens of microseconds;
 * through fs.promises each is one or more libuv thread-pool round trips whose continuations wait
 * for the busy main thread, which made creating a container's cgroups ~1.4 ms of the launch path
 * instead of ~0.4 ms, and put ~0.5 ms between the workload's exit and wait() (the OOM count read).
 * rmdir stays asynchronous: a dying cgroup may need retries, and teardown is off the timed path.
 */
const runtimeCgroupFs: CgroupFs = {
  ...nodeCgroupFs,
  mkdir: async (dir) => {
    mkdirSync(dir);
  },
  readFile: async (file) => readFileSync(file, 'utf8'),
  writeFile: async (file, text) => writeFileSync(file, text),
  exists: async (file) => existsSync(file),
};

/**
 * The default cgroup parent of a state root: one per root, so that `gc` on one root (which
 * removes cgroups without a container dir) never touches the containers of another root.
 */
export function defaultCgroupParent(root: string): string {
  return `isobench-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`;
}

/** Opens the cgroup manager over runtimeCgroupFs (as openCgroupManager does over nodeCgroupFs). */
async function openRuntimeCgroups(root: string, parent: string | undefined): Promise<CgroupManager> {
  const parentSegments = parseParentPath(parent ?? process.env.ISOBENCH_CGROUP_PARENT ?? defaultCgroupParent(root));
  const host = await detectCgroupHost('/');
  return createCgroupManager({ host, parentSegments, fs: runtimeCgroupFs, hostCpuCount: availableParallelism() });
}

/** What every verb receives: the open, warm pieces of one runtime. */
export interface RuntimeContext {
  layout: RootLayout;
  store: RuntimeImageStore;
  cgroups: CgroupManager;
  /** CPUs this process may use (validates --cpus). */
  hostCpuCount: number;
  /** Resolved users keyed by "<image digest>\0<user spec>": an image's /etc/passwd never changes. */
  userCache: Map<string, ResolvedUserIds>;
  /**
   * Background work Runtime.close() awaits: removals of --rm containers, and the teardown of
   * attached containers whose exit was reported (their helper unmounts them, then exits).
   */
  pendingCleanups: Set<Promise<void>>;
  /** Where a failed background removal is reported (default: nowhere; gc finishes it). */
  onCleanupError?: (message: string) => void;
}

export interface RuntimeOpenOptions {
  /** cgroup parent path; default ISOBENCH_CGROUP_PARENT, else one per state root (defaultCgroupParent). */
  cgroupParent?: string;
}

/** Opens the image store and cgroup manager of `root` (absolute state root). */
export async function openRuntimeContext(root: string, options: RuntimeOpenOptions = {}): Promise<RuntimeContext> {
  const layout = rootLayout(root);
  for (const dir of [layout.containers, layout.locks, layout.tmp]) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch {
      // Read-only use (ps, inspect) as a non-root user: the verbs that write check for root.
    }
  }
  const [store, cgroups] = await Promise.all([ImageStore.open(root), openRuntimeCgroups(root, options.cgroupParent)]);
  return {
    layout,
    store: new CachedImageStore(store, path.join(layout.images, 'index.json')),
    cgroups,
    hostCpuCount: availableParallelism(),
    userCache: new Map(),
    pendingCleanups: new Set(),
  };
}
