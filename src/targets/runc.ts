// The runc peer target: Debian's runc running the image from isobench's store through a
// per-instance OCI bundle (see peer-oci-target.ts for what is timed).
import { OciPeerTarget, probeRuntimeBinary, type RuntimeInvocation } from './peer-oci-target.js';
import type { Availability } from './types.js';

export { gcPeerLeftovers } from './peer-rootfs.js';

/** runc in the host's namespaces; `runc run` is timed from spawn to the ready line (or exit). */
export class RuncTarget extends OciPeerTarget {
  readonly kind = 'runc' as const;
  private probed: Promise<Availability> | undefined;

  protected binary(): string {
    return 'runc';
  }

  /** /run/runc/<id>: runc's default --root as root. */
  protected stateDir(id: string): string {
    return `/run/runc/${id}`;
  }

  protected invocation(): RuntimeInvocation {
    return { prefix: [] };
  }

  /** Available when `runc --version` runs as root; the answer is cached. Never throws. */
  probe(): Promise<Availability> {
    this.probed ??= probeRuntimeBinary('runc');
    return this.probed;
  }
}
