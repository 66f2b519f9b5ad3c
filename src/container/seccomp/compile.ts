// Compiles a resolved policy into the seccomp BPF program the helper loads. Shape:
//   arch == x86_64 ? (nr >= X32 bit ? x32 tree : x86_64 tree) : arch == i386 ? i386 tree : kill
// Each tree is a binary search over syscall-number intervals, so a syscall costs about log2(number
// of intervals) comparisons (~7 here) instead of one per rule, and an interval whose outcome does
// not depend on arguments ends in a shared `ret`; only the few syscalls with argument rules
// (clone, socket, personality) run their condition checks. Numbers above every syscall the ABI's
// table knows fail with ENOSYS, as runc does, so that libc falls back from syscalls newer than the
// profile instead of failing with EPERM.
import { BPF, BPF_MAX_INSNS, type BpfInsn, encodeProgram, type Label, ReverseAssembler, SECCOMP_DATA } from './bpf.js';
import type { ArgCondition, SeccompAbi, SeccompAction } from './profile.js';
import type { AbiPolicy, ResolvedPolicy, ResolvedRule } from './resolve.js';

/** linux/audit.h: what seccomp_data.arch holds for each ABI (x32 shares x86_64's). */
const AUDIT_ARCH = { x86_64: 0xc000003e, i386: 0x40000003 } as const;
/** __X32_SYSCALL_BIT: x32 syscall numbers have it set. */
const X32_BIT = 0x40000000;
/** The first number of the x32-only legacy range (512-547): not counted as "highest common". */
const X32_LEGACY_FIRST = 512;
const ENOSYS = 38;

/** SECCOMP_RET_* value of an action. */
export function actionValue(action: SeccompAction): number {
  switch (action.kind) {
    case 'allow':
      return 0x7fff0000;
    case 'errno':
      return (0x00050000 | (action.errno & 0xffff)) >>> 0;
    case 'kill-thread':
      return 0;
    case 'kill-process':
      return 0x80000000;
    case 'trap':
      return 0x00030000;
    case 'trace':
      return (0x7ff00000 | (action.data & 0xffff)) >>> 0;
    case 'log':
      return 0x7ffc0000;
  }
}

/** A compiled filter: the program and the flags to load it with. */
export interface CompiledFilter {
  program: BpfInsn[];
  /** struct sock_filter[] bytes, what the helper passes to seccomp(2). */
  bytes: Buffer;
  flags: number;
}

/** What a syscall number leads to: a constant action, or a block of argument checks. */
type Outcome = { kind: 'ret'; value: number } | { kind: 'rules'; nr: number; rules: ResolvedRule[] };

interface Interval {
  first: number;
  outcome: Outcome;
}

/** Conditional rules first (profile order), then the first unconditional one: the specific wins. */
function orderRules(rules: ResolvedRule[]): ResolvedRule[] {
  const conditional = rules.filter((r) => r.conditions.length > 0);
  const unconditional = rules.find((r) => r.conditions.length === 0);
  return unconditional ? [...conditional, unconditional] : conditional;
}

function outcomeOf(rules: ResolvedRule[] | undefined, nr: number, fallback: number): Outcome {
  if (!rules) return { kind: 'ret', value: fallback };
  const ordered = orderRules(rules);
  const last = ordered[ordered.length - 1]!;
  const final = last.conditions.length === 0 ? actionValue(last.action) : fallback;
  // Every path returns the same value: no need to look at the arguments.
  if (ordered.every((r) => actionValue(r.action) === final)) return { kind: 'ret', value: final };
  return { kind: 'rules', nr, rules: ordered };
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  return a.kind === 'ret' && b.kind === 'ret' && a.value === b.value;
}

/**
 * The number line of one ABI, from `base` (0, or the x32 bit) up, as intervals of equal outcome:
 * table syscalls by their rules, other numbers up to the highest common syscall by the default
 * action, numbers above it ENOSYS.
 */
function intervalsOf(policy: AbiPolicy, base: number, defaultValue: number): Interval[] {
  let highestCommon = 0;
  let highest = 0;
  for (const nr of policy.known) {
    const n = nr - base;
    if (n < X32_LEGACY_FIRST && n > highestCommon) highestCommon = n;
    if (n > highest) highest = n;
  }
  const enosys = actionValue({ kind: 'errno', errno: ENOSYS });
  const intervals: Interval[] = [];
  // One pass over every number up to the highest known one; everything above it is ENOSYS.
  for (let first = 0; first <= highest + 1; first++) {
    const nr = base + first;
    const known = policy.known.has(nr);
    const outcome: Outcome =
      known || first <= highestCommon
        ? outcomeOf(known ? policy.syscalls.get(nr) : undefined, nr, defaultValue)
        : { kind: 'ret', value: enosys };
    const previous = intervals[intervals.length - 1];
    if (previous && sameOutcome(previous.outcome, outcome)) continue;
    intervals.push({ first, outcome });
  }
  return intervals;
}

class FilterCompiler {
  readonly asm = new ReverseAssembler();
  private readonly returns = new Map<number, Label>();

  /** A shared `ret value` (emitted once, at the end of the program). */
  returnOf(value: number): Label {
    let label = this.returns.get(value);
    if (label === undefined) {
      label = this.asm.ret(value);
      this.returns.set(value, label);
    }
    return label;
  }

  /**
   * One argument condition: control reaches `pass` when it holds, else `fail`. 64-bit arguments
   * are compared as (high word, low word); on a 32-bit ABI the high word is zero, which is folded
   * in here instead of loaded. Program order: [ld high; test high;] ld low; test low.
   */
  condition(c: ArgCondition, wide: boolean, pass: Label, fail: Label): Label {
    if (pass === fail) return pass;
    const lo = Number(c.value & 0xffffffffn);
    const hi = Number(c.value >> 32n);
    if (c.op === 'masked-eq') {
      const wantLo = Number(c.valueTwo & 0xffffffffn);
      const wantHi = Number(c.valueTwo >> 32n);
      this.asm.branch(BPF.JMP_JEQ_K, wantLo, pass, fail);
      this.asm.and(lo);
      const low = this.asm.load(SECCOMP_DATA.argLow(c.index));
      // A zero high mask (or a 32-bit ABI's zero high word) leaves 0 to compare: known now.
      if (!wide || hi === 0) return wantHi === 0 ? low : fail;
      this.asm.branch(BPF.JMP_JEQ_K, wantHi, low, fail);
      this.asm.and(hi);
      return this.asm.load(SECCOMP_DATA.argHigh(c.index));
    }
    // The low word decides when the high words are equal: jeq/jgt/jge, with pass and fail swapped
    // for the operators that are their negation (ne = !eq, le = !gt, lt = !ge).
    const code = {
      eq: BPF.JMP_JEQ_K,
      ne: BPF.JMP_JEQ_K,
      gt: BPF.JMP_JGT_K,
      le: BPF.JMP_JGT_K,
      ge: BPF.JMP_JGE_K,
      lt: BPF.JMP_JGE_K,
    }[c.op];
    const negated = c.op === 'ne' || c.op === 'le' || c.op === 'lt';
    this.asm.branch(code, lo, negated ? fail : pass, negated ? pass : fail);
    const low = this.asm.load(SECCOMP_DATA.argLow(c.index));
    // When the high words differ, they alone decide.
    const above = { eq: fail, ne: pass, gt: pass, ge: pass, lt: fail, le: fail }[c.op];
    const below = { eq: fail, ne: pass, gt: fail, ge: fail, lt: pass, le: pass }[c.op];
    if (!wide) return hi === 0 ? low : below;
    const onEqual = this.asm.branch(BPF.JMP_JEQ_K, hi, low, below);
    this.asm.branch(BPF.JMP_JGT_K, hi, above, onEqual);
    return this.asm.load(SECCOMP_DATA.argHigh(c.index));
  }

  /** A syscall's rules in order; the first whose conditions all hold decides, else `fallback`. */
  rules(rules: ResolvedRule[], wide: boolean, fallback: number): Label {
    let next = this.returnOf(fallback);
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i]!;
      let entry = this.returnOf(actionValue(rule.action));
      for (let j = rule.conditions.length - 1; j >= 0; j--)
        entry = this.condition(rule.conditions[j]!, wide, entry, next);
      next = entry;
    }
    return next;
  }

  /** Binary search over intervals[from..to) on A = syscall number. */
  tree(intervals: Interval[], from: number, to: number, base: number, wide: boolean, fallback: number): Label {
    if (to - from === 1) {
      const outcome = intervals[from]!.outcome;
      if (outcome.kind === 'ret') return this.returnOf(outcome.value);
      // Argument checks clobber A (the syscall number): a leaf ends in a `ret` on every path.
      return this.rules(outcome.rules, wide, fallback);
    }
    const mid = (from + to) >> 1;
    const right = this.tree(intervals, mid, to, base, wide, fallback);
    const left = this.tree(intervals, from, mid, base, wide, fallback);
    return right === left ? right : this.asm.branch(BPF.JMP_JGE_K, base + intervals[mid]!.first, right, left);
  }

  abiTree(policy: AbiPolicy, base: number, fallback: number): Label {
    const intervals = intervalsOf(policy, base, fallback);
    return this.tree(intervals, 0, intervals.length, base, policy.abi !== 'i386', fallback);
  }
}

/**
 * Compiles `policy` into a seccomp program for x86_64 hosts.
 * @throws RangeError when the program would exceed the kernel's 4096 instructions.
 */
export function compileFilter(policy: ResolvedPolicy): CompiledFilter {
  const c = new FilterCompiler();
  const fallback = actionValue(policy.defaultAction);
  const kill = c.returnOf(actionValue({ kind: 'kill-process' }));
  const find = (abi: SeccompAbi) => policy.abis.find((p) => p.abi === abi);
  const i386 = find('i386');
  const x32 = find('x32');
  const x86_64 = find('x86_64');
  // Emitted last part first.
  let i386Entry = kill;
  if (i386) {
    c.abiTree(i386, 0, fallback);
    // The i386 branch has not loaded the number yet (the x86_64 one loads it after its arch check).
    i386Entry = c.asm.load(SECCOMP_DATA.nr);
  }
  const x32Entry = x32 ? c.abiTree(x32, X32_BIT, fallback) : kill;
  const x86Tree = x86_64 ? c.abiTree(x86_64, 0, fallback) : kill;
  // The x86_64 arch value also carries x32: the x32 bit in the number tells them apart.
  c.asm.branch(BPF.JMP_JGE_K, X32_BIT, x32Entry, x86Tree);
  const x86Entry = c.asm.load(SECCOMP_DATA.nr);
  const notX86 = c.asm.branch(BPF.JMP_JEQ_K, AUDIT_ARCH.i386, i386Entry, kill);
  c.asm.branch(BPF.JMP_JEQ_K, AUDIT_ARCH.x86_64, x86Entry, notX86);
  c.asm.load(SECCOMP_DATA.arch);
  const program = c.asm.finish();
  if (program.length > BPF_MAX_INSNS) {
    throw new RangeError(`the filter needs ${program.length} BPF instructions, over the kernel's ${BPF_MAX_INSNS}`);
  }
  return { program, bytes: encodeProgram(program), flags: policy.flags };
}
