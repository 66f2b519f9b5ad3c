// `--security-opt` values, in Docker's syntax: `seccomp=unconfined`, `seccomp=PROFILE.json`.
// Each one is checked here, before anything is created; the profile itself is read and compiled
// by the runtime's plan step (still before any side effect).
import type { SeccompChoice } from '../container/seccomp/index.js';
import { InputError } from '../errors.js';

/** What the `--security-opt` flags of one run ask for; unset: the defaults. */
export interface SecurityOpts {
  seccomp?: SeccompChoice;
}

const HINT = "expected seccomp=unconfined or seccomp=PROFILE.json (Docker's JSON profile format)";

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
    throw new InputError(`unsupported --security-opt '${value}'`, { hint: HINT });
  }
  return out;
}
