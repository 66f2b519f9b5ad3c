// `--security-opt` values, in Docker's syntax: `seccomp=unconfined`, `seccomp=PROFILE.json`,
// `no-new-privileges[=true|false]`; and `--privileged`, which isobench refuses. Each one is
// checked here, before anything is created; the profile itself is read and compiled by the
// runtime's plan step (still before any side effect).
import type { SeccompChoice } from '../container/seccomp/index.js';
import { InputError } from '../errors.js';

/** What the `--security-opt` flags of one run ask for; unset: the defaults. */
export interface SecurityOpts {
  seccomp?: SeccompChoice;
  /** Unset: isobench's default, on. */
  noNewPrivileges?: boolean;
}

const HINT =
  "expected seccomp=unconfined, seccomp=PROFILE.json (Docker's JSON profile format) or no-new-privileges[=true|false]";

/** Parses every `--security-opt` value; a later one of the same kind overrides an earlier one, as in Docker. */
export function parseSecurityOpts(values: readonly string[]): SecurityOpts {
  const out: SecurityOpts = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    const arg = eq < 0 ? undefined : value.slice(eq + 1);
    if (key === 'seccomp') {
      if (!arg) throw new InputError(`--security-opt seccomp needs a value, got '${value}'`, { hint: HINT });
      out.seccomp = arg === 'unconfined' ? { kind: 'unconfined' } : { kind: 'profile', path: arg };
      continue;
    }
    if (key === 'no-new-privileges') {
      if (arg !== undefined && arg !== 'true' && arg !== 'false') {
        throw new InputError(`expected --security-opt no-new-privileges to be true or false, got '${arg}'`, {
          hint: 'no-new-privileges alone means true',
        });
      }
      out.noNewPrivileges = arg !== 'false';
      continue;
    }
    throw new InputError(`unsupported --security-opt '${value}'`, { hint: HINT });
  }
  return out;
}

/**
 * `--privileged` is refused, not half done: Docker's version gives every capability, every host
 * device, a writable /sys and /proc/sys and no seccomp filter, which makes root in the container
 * root on the host. The parts a workload really needs can be granted one by one.
 */
export function refusePrivileged(): never {
  throw new InputError(
    '--privileged is refused: it would give the container every capability, the host devices and no seccomp filter, so its root could take over the host',
    {
      hint: 'grant only what the workload needs with --cap-add CAP (or ALL), --security-opt seccomp=unconfined and --security-opt no-new-privileges=false',
    },
  );
}
