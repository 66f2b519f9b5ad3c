// Applies a profile to one container on this host, as Docker does: a rule counts only when its
// capability, architecture and kernel conditions hold (for the container's capability set, the
// host's architecture and kernel), and its syscall names become numbers per ABI (a name an ABI
// lacks is skipped there, as libseccomp does). The result says, per ABI and syscall number, which
// rules decide; compile.ts turns it into BPF.
import type { ArgCondition, RuleFilter, SeccompAbi, SeccompAction, SeccompProfile, SeccompRule } from './profile.js';
import { SYSCALLS_I386, SYSCALLS_X32, SYSCALLS_X86_64 } from './syscall-table-x86.js';

/** One rule as it applies to one syscall: every condition must hold. */
export interface ResolvedRule {
  conditions: ArgCondition[];
  action: SeccompAction;
}

export interface AbiPolicy {
  abi: SeccompAbi;
  /** Syscall number -> its rules in profile order; numbers no rule names get the default action. */
  syscalls: Map<number, ResolvedRule[]>;
  /** Every syscall number this ABI has (the table's), for the ENOSYS rule of compile.ts. */
  known: ReadonlySet<number>;
}

export interface ResolvedPolicy {
  defaultAction: SeccompAction;
  abis: AbiPolicy[];
  flags: number;
}

/** What decides which rules apply. */
export interface ResolveContext {
  /** The container's capabilities (CAP_* names, e.g. its bounding set). */
  capabilities: ReadonlySet<string>;
  /** Host kernel [major, minor]. */
  kernel: [number, number];
  /** Docker's (Go's) name of the host architecture. */
  arch: string;
}

const TABLES: Readonly<Record<SeccompAbi, Readonly<Record<string, number>>>> = {
  x86_64: SYSCALLS_X86_64,
  x32: SYSCALLS_X32,
  i386: SYSCALLS_I386,
};

/** The ABIs Docker's archMap gives x86_64 hosts: the native one, then i386 and x32. */
export const X86_ABIS: readonly SeccompAbi[] = ['x86_64', 'x32', 'i386'];

function kernelAtLeast(kernel: [number, number], min: [number, number]): boolean {
  return kernel[0] !== min[0] ? kernel[0] > min[0] : kernel[1] >= min[1];
}

function includes(filter: RuleFilter, ctx: ResolveContext): boolean {
  if (filter.caps && !filter.caps.every((cap) => ctx.capabilities.has(cap))) return false;
  if (filter.arches && !filter.arches.includes(ctx.arch)) return false;
  if (filter.minKernel && !kernelAtLeast(ctx.kernel, filter.minKernel)) return false;
  return true;
}

function excludes(filter: RuleFilter, ctx: ResolveContext): boolean {
  if (filter.caps?.some((cap) => ctx.capabilities.has(cap))) return true;
  if (filter.arches?.includes(ctx.arch)) return true;
  if (filter.minKernel && kernelAtLeast(ctx.kernel, filter.minKernel)) return true;
  return false;
}

/**
 * The condition sets a rule stands for: its conditions ANDed, except that when two name the same
 * argument each becomes a rule of its own (runc's reading of Docker profiles: libseccomp takes one
 * condition per argument and rule).
 */
function conditionSets(rule: SeccompRule): ArgCondition[][] {
  const indexes = rule.args.map((a) => a.index);
  if (new Set(indexes).size === indexes.length) return [rule.args];
  return rule.args.map((a) => [a]);
}

/** Resolves `profile` for one container. Pure. */
export function resolveProfile(profile: SeccompProfile, ctx: ResolveContext): ResolvedPolicy {
  const abis = X86_ABIS.filter((abi) => (profile.abis ?? X86_ABIS).includes(abi));
  const policies: AbiPolicy[] = abis.map((abi) => ({
    abi,
    syscalls: new Map(),
    known: new Set(Object.values(TABLES[abi])),
  }));
  for (const rule of profile.rules) {
    if (!includes(rule.includes, ctx) || excludes(rule.excludes, ctx)) continue;
    const sets = conditionSets(rule);
    for (const policy of policies) {
      const table = TABLES[policy.abi];
      for (const name of rule.names) {
        const nr = Object.hasOwn(table, name) ? table[name] : undefined;
        if (nr === undefined) continue;
        let list = policy.syscalls.get(nr);
        if (!list) {
          list = [];
          policy.syscalls.set(nr, list);
        }
        for (const conditions of sets) list.push({ conditions, action: rule.action });
      }
    }
  }
  return { defaultAction: profile.defaultAction, abis: policies, flags: profile.flags };
}

/** Parses os.release() ("6.18.44-fc-v1045") into [major, minor]; [0, 0] when unreadable. */
export function parseKernelRelease(release: string): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(release);
  return match ? [Number(match[1]), Number(match[2])] : [0, 0];
}
