// The seccomp profile as isobench holds it: the meaning of Docker's JSON profile format (an
// ordered list of rules, each naming syscalls, an action, argument conditions and the capability,
// architecture and kernel conditions under which it applies), independent of any file syntax.
// docker-profile.ts reads Docker's format into it, default-profile.ts builds the default one,
// resolve.ts applies it to one container, compile.ts turns the result into a BPF program.

/** What the kernel does with a syscall (seccomp(2) SECCOMP_RET_*). */
export type SeccompAction =
  | { kind: 'allow' }
  /** Fail the syscall with this errno (0-4095). */
  | { kind: 'errno'; errno: number }
  | { kind: 'kill-thread' }
  | { kind: 'kill-process' }
  | { kind: 'trap' }
  /** Notify a ptrace tracer with this 16-bit value. */
  | { kind: 'trace'; data: number }
  | { kind: 'log' };

/** Comparison of one 64-bit syscall argument (libseccomp's SCMP_CMP_*). */
export type SeccompOperator = 'ne' | 'lt' | 'le' | 'eq' | 'ge' | 'gt' | 'masked-eq';

/**
 * One argument condition. `masked-eq` holds when (arg & value) == valueTwo; the others compare
 * the argument with `value` as unsigned 64-bit numbers.
 */
export interface ArgCondition {
  /** Argument index, 0-5. */
  index: number;
  op: SeccompOperator;
  value: bigint;
  valueTwo: bigint;
}

/** When a rule applies: every listed item must hold (includes) or none may (excludes). */
export interface RuleFilter {
  /** Capability names (CAP_*) the container must have (includes) or must lack (excludes). */
  caps?: string[];
  /** Docker's architecture names (amd64, x86, x32, arm64, ...), matched against the host's. */
  arches?: string[];
  /** [major, minor]: the host kernel must be at least this version (includes) or older (excludes). */
  minKernel?: [number, number];
}

/** One rule: these syscalls get `action` when every condition holds. */
export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  /**
   * ANDed, as in Docker (runc): except that when two conditions name the same argument, each
   * condition becomes a rule of its own (ORed), since libseccomp takes one per argument.
   */
  args: ArgCondition[];
  includes: RuleFilter;
  excludes: RuleFilter;
}

/** The ABIs a filter on an x86_64 host can recognise. */
export type SeccompAbi = 'x86_64' | 'x32' | 'i386';

export interface SeccompProfile {
  /** For every syscall no rule names, and for a named one whose conditions all fail. */
  defaultAction: SeccompAction;
  /**
   * ABIs the filter handles; a syscall from any other is killed. Undefined: the host's native ABI
   * with the sub-ABIs Docker's archMap gives it (x86_64: x86_64, i386, x32).
   */
  abis?: SeccompAbi[];
  /** seccomp(2) SECCOMP_FILTER_FLAG_* bits to load the filter with (LOG, SPEC_ALLOW). */
  flags: number;
  rules: SeccompRule[];
}

/** seccomp(2) filter flags a profile may ask for. */
export const SECCOMP_FILTER_FLAGS = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
} as const;
