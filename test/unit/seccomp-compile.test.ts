// The BPF compiler against a plain reading of the same rules: every syscall number of every ABI,
// with arguments around each condition's edges, must get the action the rules give it.
import { describe, expect, it } from 'vitest';
import { actionValue, compileFilter } from '../../src/container/seccomp/compile.js';
import { defaultSeccompProfile } from '../../src/container/seccomp/default-profile.js';
import type { ArgCondition, SeccompProfile, SeccompRule } from '../../src/container/seccomp/profile.js';
import { type AbiPolicy, type ResolvedPolicy, resolveProfile } from '../../src/container/seccomp/resolve.js';
import {
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
  RET,
  runFilter,
  verifyProgram,
  X32_BIT,
} from '../fixtures/seccomp-bpf-interpreter.js';

const ctx = (caps: string[] = []) => ({
  capabilities: new Set(caps),
  kernel: [6, 18] as [number, number],
  arch: 'amd64',
});

function holds(c: ArgCondition, arg: bigint): boolean {
  switch (c.op) {
    case 'eq':
      return arg === c.value;
    case 'ne':
      return arg !== c.value;
    case 'lt':
      return arg < c.value;
    case 'le':
      return arg <= c.value;
    case 'gt':
      return arg > c.value;
    case 'ge':
      return arg >= c.value;
    case 'masked-eq':
      return (arg & c.value) === c.valueTwo;
  }
}

/** What the rules say, read directly: the oracle the compiled program must agree with. */
function expected(policy: ResolvedPolicy, abi: AbiPolicy, nr: number, args: bigint[]): number {
  const base = abi.abi === 'x32' ? X32_BIT : 0;
  const highestCommon = Math.max(...[...abi.known].map((n) => n - base).filter((n) => n < 512));
  if (!abi.known.has(nr) && nr - base > highestCommon) return RET.errno(38);
  const rules = abi.syscalls.get(nr) ?? [];
  const ordered = [...rules.filter((r) => r.conditions.length > 0), ...rules.filter((r) => r.conditions.length === 0)];
  for (const rule of ordered) {
    const narrowed = (i: number) => (abi.abi === 'i386' ? args[i]! & 0xffffffffn : args[i]!);
    if (rule.conditions.every((c) => holds(c, narrowed(c.index)))) return actionValue(rule.action);
  }
  return actionValue(policy.defaultAction);
}

/** Argument vectors around every condition value of `nr`'s rules (and a few plain ones). */
function argumentCases(abi: AbiPolicy, nr: number): bigint[][] {
  const cases: bigint[][] = [[0n, 0n, 0n, 0n, 0n, 0n]];
  const edges = (v: bigint) =>
    [v, v - 1n, v + 1n, v | (1n << 32n), v ^ 0xffffffffn, (1n << 64n) - 1n].filter((x) => x >= 0n && x < 1n << 64n);
  for (const rule of abi.syscalls.get(nr) ?? []) {
    for (const c of rule.conditions) {
      for (const v of [...edges(c.value), ...edges(c.valueTwo), c.valueTwo | (~c.value & 0xffn)]) {
        const args = [0n, 0n, 0n, 0n, 0n, 0n];
        args[c.index] = v;
        cases.push(args);
      }
    }
  }
  return cases;
}

function checkEverySyscall(profile: SeccompProfile, caps: string[] = []): number {
  const policy = resolveProfile(profile, ctx(caps));
  const { program } = compileFilter(policy);
  verifyProgram(program);
  let checked = 0;
  for (const abi of policy.abis) {
    const arch = abi.abi === 'i386' ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
    const base = abi.abi === 'x32' ? X32_BIT : 0;
    const numbers = new Set([...abi.known, base, base + 337, base + 470, base + 511, base + 548, base + 0x3fffffff]);
    for (const nr of numbers) {
      for (const args of argumentCases(abi, nr)) {
        expect(runFilter(program, { arch, nr, args }).value, `${abi.abi} nr ${nr} args ${args}`).toBe(
          expected(policy, abi, nr, args),
        );
        checked++;
      }
    }
  }
  return checked;
}

describe('compileFilter', () => {
  it('agrees with the rules on every syscall of every ABI (default profile, default capabilities)', () => {
    expect(checkEverySyscall(defaultSeccompProfile())).toBeGreaterThan(1000);
  });

  it('agrees with the rules with CAP_SYS_ADMIN, CAP_SYS_TIME and CAP_SYS_PTRACE added', () => {
    checkEverySyscall(defaultSeccompProfile(), ['CAP_SYS_ADMIN', 'CAP_SYS_TIME', 'CAP_SYS_PTRACE']);
  });

  it('kills a syscall from an ABI the profile does not list', () => {
    const policy = resolveProfile({ ...defaultSeccompProfile(), abis: ['x86_64'] }, ctx());
    const { program } = compileFilter(policy);
    expect(runFilter(program, { arch: AUDIT_ARCH_I386, nr: 20 }).value).toBe(RET.killProcess);
    expect(runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: X32_BIT }).value).toBe(RET.killProcess);
    expect(runFilter(program, { arch: 0xc00000b7, nr: 0 }).value).toBe(RET.killProcess); // aarch64
    expect(runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: 39 }).value).toBe(RET.allow);
  });

  it('reaches targets further than 255 instructions through ja trampolines', () => {
    // 600 rules on one syscall: the default return sits far beyond any conditional jump's reach.
    const rules: SeccompRule[] = Array.from({ length: 600 }, (_, i) => ({
      names: ['ioctl'],
      action: { kind: 'errno', errno: (i % 100) + 1 },
      args: [{ index: 1, op: 'eq', value: BigInt(0x5400 + i), valueTwo: 0n }],
      includes: {},
      excludes: {},
    }));
    const profile: SeccompProfile = { defaultAction: { kind: 'allow' }, flags: 0, rules, abis: ['x86_64'] };
    const policy = resolveProfile(profile, ctx());
    const { program } = compileFilter(policy);
    verifyProgram(program);
    expect(program.some((insn) => insn.code === 0x05)).toBe(true);
    const run = (cmd: bigint) => runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: 16, args: [0n, cmd] }).value;
    expect(run(0x5400n)).toBe(RET.errno(1));
    expect(run(0x5400n + 599n)).toBe(RET.errno(100));
    expect(run(0x5400n + 600n)).toBe(RET.allow);
    expect(run(0x1_0000_5400n)).toBe(RET.allow);
    checkEverySyscall(profile);
  });

  it('refuses a program over the kernel limit of 4096 instructions', () => {
    const rules: SeccompRule[] = Array.from({ length: 1100 }, (_, i) => ({
      names: ['ioctl'],
      action: { kind: 'errno', errno: 1 },
      args: [{ index: 1, op: 'eq', value: BigInt(i), valueTwo: 0n }],
      includes: {},
      excludes: {},
    }));
    const policy = resolveProfile({ defaultAction: { kind: 'allow' }, flags: 0, rules }, ctx());
    expect(() => compileFilter(policy)).toThrow(/over the kernel's 4096/);
  });

  it('costs a handful of instructions for a plain syscall', () => {
    const { program } = compileFilter(resolveProfile(defaultSeccompProfile(), ctx()));
    const steps = runFilter(program, { arch: AUDIT_ARCH_X86_64, nr: 110 }).steps; // getppid
    expect(steps).toBeLessThanOrEqual(14);
  });
});
