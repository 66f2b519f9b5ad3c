// The crun peer target: Debian's crun running the same bundles as runc. crun 1.8 refuses hybrid
// cgroup hosts ("cgroups in hybrid mode not supported"), so there every crun command runs inside
// one long-lived mount namespace without /sys/fs/cgroup/unified (peer-mount-ns.ts), entered with
// nsenter; the overlay rootfs is mounted inside that namespace too, since host mounts are private
// here and would not propagate into it.
//
// NOTE (timing): on a hybrid host the timed launch includes one nsenter exec (setns + execve of
// crun); measureNsenterCostNs() gives its cost to state or subtract. On a v1 or v2 host crun runs directly.
import { EnvironmentError } from '../errors.js';
import { runTool } from './peer-exec.js';
import { detectCgroupHostMode, MountNamespaceHolder, UNIFIED_MOUNT } from './peer-mount-ns.js';
import { OciPeerTarget, probeRuntimeBinary, type RuntimeInvocation } from './peer-oci-target.js';
import type { Availability } from './types.js';

export { measureNsenterCostNs } from './peer-mount-ns.js';

export class CrunTarget extends OciPeerTarget {
  readonly kind = 'crun' as const;
  private probed: Promise<Availability> | undefined;
  private holder: MountNamespaceHolder | undefined;
  private holderStarting: Promise<MountNamespaceHolder> | undefined;

  protected binary(): string {
    return 'crun';
  }

  /** /run/crun/<id>: crun's default --root as root (on a hybrid host the holder shares the host's /run). */
  protected stateDir(id: string): string {
    return `/run/crun/${id}`;
  }

  /** The namespace holder, when the host needs one (started by prepare()). */
  namespaceHolder(): MountNamespaceHolder | undefined {
    return this.holder;
  }

  /** On a hybrid host, starts the namespace holder once (or again, if it died). */
  protected override async prepareRuntime(): Promise<void> {
    if (detectCgroupHostMode() !== 'hybrid') return;
    if (this.holder?.isAlive()) return;
    this.holderStarting ??= MountNamespaceHolder.start(this.root);
    try {
      this.holder = await this.holderStarting;
    } finally {
      this.holderStarting = undefined;
    }
  }

  /** @throws EnvironmentError on a hybrid host when prepare() has not run or the holder died. */
  protected invocation(): RuntimeInvocation {
    if (detectCgroupHostMode() !== 'hybrid') return { prefix: [] };
    if (!this.holder?.isAlive()) {
      throw new EnvironmentError('the crun mount namespace holder is not running', {
        hint: 'call prepare() before launch(); if it died, prepare() starts a new one',
      });
    }
    return { prefix: this.holder.commandPrefix(), holder: this.holder.identity };
  }

  /**
   * Available when crun runs as root; on a hybrid host also when unshare/nsenter exist (the detail
   * says so). Cached; never throws.
   */
  probe(): Promise<Availability> {
    this.probed ??= (async (): Promise<Availability> => {
      const binary = await probeRuntimeBinary('crun');
      if (!binary.available || detectCgroupHostMode() !== 'hybrid') return binary;
      for (const tool of ['unshare', 'nsenter']) {
        const found = await runTool(tool, ['--version'], { timeoutMs: 10_000 }).catch(() => undefined);
        if (found?.exitCode !== 0) {
          return {
            available: false,
            reason: `${tool} not found: crun needs it on this hybrid cgroup host; install util-linux (bash scripts/setup.sh)`,
          };
        }
      }
      return {
        available: true,
        detail: `${binary.detail}; hybrid cgroups: crun runs via nsenter in a private mount namespace without ${UNIFIED_MOUNT}`,
      };
    })();
    return this.probed;
  }

  /** Stops the namespace holder (its mounts go with it) and removes the shared cgroup parent. */
  override async cleanup(): Promise<void> {
    await this.holder?.stop();
    this.holder = undefined;
    await super.cleanup();
  }
}
