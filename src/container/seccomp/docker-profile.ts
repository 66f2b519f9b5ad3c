// Reads a seccomp profile in Docker's JSON format (`--security-opt seccomp=PROFILE.json`) into a
// SeccompProfile. NOTE: the file is hostile input (the runtime runs as root): every field is
// checked for type and range, the first problem is reported as one line naming the field, and
// nothing is loaded from a profile that fails. Fields Docker ignores (comment, ...) are ignored.
import { InputError } from '../../errors.js';
import type {
  ArgCondition,
  RuleFilter,
  SeccompAbi,
  SeccompAction,
  SeccompOperator,
  SeccompProfile,
  SeccompRule,
} from './profile.js';
import { SECCOMP_FILTER_FLAGS } from './profile.js';

/** Larger files are refused before parsing (Docker's own default profile is ~20 KiB). */
export const PROFILE_MAX_BYTES = 1 << 20;
const RULES_MAX = 4096;
const NAMES_MAX = 4096;
const ERRNO_MAX = 4095;
const U64_MAX = (1n << 64n) - 1n;
/** Marks a number literal quoted by quoteLargeIntegers (a NUL cannot start any other string here). */
const BIG = '\u0000';

const ACTIONS: Readonly<Record<string, SeccompAction['kind'] | 'notify'>> = {
  SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_KILL: 'kill-thread',
  SCMP_ACT_KILL_THREAD: 'kill-thread',
  SCMP_ACT_KILL_PROCESS: 'kill-process',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_TRACE: 'trace',
  SCMP_ACT_LOG: 'log',
  SCMP_ACT_NOTIFY: 'notify',
};

const OPERATORS: Readonly<Record<string, SeccompOperator>> = {
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_MASKED_EQ: 'masked-eq',
};

/** libseccomp's architecture names; the x86 ones map to the ABIs a filter here can check. */
const ARCHES: Readonly<Record<string, SeccompAbi | 'foreign'>> = {
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X86: 'i386',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'foreign',
  SCMP_ARCH_AARCH64: 'foreign',
  SCMP_ARCH_MIPS: 'foreign',
  SCMP_ARCH_MIPS64: 'foreign',
  SCMP_ARCH_MIPS64N32: 'foreign',
  SCMP_ARCH_MIPSEL: 'foreign',
  SCMP_ARCH_MIPSEL64: 'foreign',
  SCMP_ARCH_MIPSEL64N32: 'foreign',
  SCMP_ARCH_PPC: 'foreign',
  SCMP_ARCH_PPC64: 'foreign',
  SCMP_ARCH_PPC64LE: 'foreign',
  SCMP_ARCH_S390: 'foreign',
  SCMP_ARCH_S390X: 'foreign',
  SCMP_ARCH_PARISC: 'foreign',
  SCMP_ARCH_PARISC64: 'foreign',
  SCMP_ARCH_RISCV64: 'foreign',
  SCMP_ARCH_LOONGARCH64: 'foreign',
};

/** The native architecture of the hosts isobench filters for (Docker picks its archMap entry). */
const NATIVE_ARCH = 'SCMP_ARCH_X86_64';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class ProfileReader {
  constructor(private readonly source: string) {}

  fail(where: string, what: string): never {
    throw new InputError(`seccomp profile ${this.source}: ${where}: ${what}`, {
      hint: "the file must be a seccomp profile in Docker's JSON format (docs: Docker's seccomp security profiles)",
    });
  }

  object(value: Json | undefined, where: string): { [key: string]: Json } {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(where, 'expected an object');
    return value;
  }

  array(value: Json | undefined, where: string, max: number): Json[] {
    if (!Array.isArray(value)) this.fail(where, 'expected an array');
    if (value.length > max) this.fail(where, `expected at most ${max} entries, got ${value.length}`);
    return value;
  }

  string(value: Json | undefined, where: string): string {
    if (typeof value !== 'string') this.fail(where, `expected a string, got ${describe(value)}`);
    return value;
  }

  strings(value: Json | undefined, where: string, max: number): string[] {
    return this.array(value, where, max).map((item, i) => this.string(item, `${where}[${i}]`));
  }

  /** A JSON number, or a digit string the reader made of a literal too large for a double. */
  unsigned(value: Json | undefined, where: string, max: bigint): bigint {
    let n: bigint | undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) n = BigInt(value);
    else if (typeof value === 'string' && value.startsWith(BIG) && /^\d{16,20}$/.test(value.slice(1)))
      n = BigInt(value.slice(1));
    if (n === undefined || n > max)
      this.fail(where, `expected a whole number from 0 to ${max}, got ${describe(value)}`);
    return n;
  }
}

function describe(value: Json | undefined): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/**
 * Quotes integer literals too long for a double (masks up to 2^64-1), outside strings, as a string
 * of a NUL and the digits, so that JSON.parse keeps every digit and only these strings read back as
 * numbers. Pure text scan: strings and escapes are skipped as JSON defines them.
 */
export function quoteLargeIntegers(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if ((c >= '0' && c <= '9') || c === '-') {
      let j = i + 1;
      while (j < text.length && /[0-9eE.+-]/.test(text[j]!)) j++;
      const literal = text.slice(i, j);
      out += /^\d{16,}$/.test(literal) ? `"\\u0000${literal}"` : literal;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** `prefix` names the fields in messages: "syscalls[3]." for a rule's, "default" for the top level's. */
function parseAction(
  r: ProfileReader,
  name: Json | undefined,
  errnoRet: Json | undefined,
  prefix: string,
): SeccompAction {
  const [actionField, errnoField] =
    prefix === 'default' ? ['defaultAction', 'defaultErrnoRet'] : [`${prefix}action`, `${prefix}errnoRet`];
  const kind = ACTIONS[r.string(name, actionField)];
  if (kind === undefined)
    r.fail(actionField, `unknown action ${describe(name)} (expected ${Object.keys(ACTIONS).join(', ')})`);
  if (kind === 'notify') r.fail(actionField, 'SCMP_ACT_NOTIFY needs a seccomp agent, which isobench does not run');
  if (kind === 'errno') {
    // Docker: SCMP_ACT_ERRNO without errnoRet fails with EPERM.
    const errno =
      errnoRet === undefined || errnoRet === null ? 1n : r.unsigned(errnoRet, errnoField, BigInt(ERRNO_MAX));
    return { kind, errno: Number(errno) };
  }
  if (kind === 'trace') {
    const data = errnoRet === undefined || errnoRet === null ? 0n : r.unsigned(errnoRet, errnoField, 0xffffn);
    return { kind, data: Number(data) };
  }
  return { kind };
}

function parseKernel(r: ProfileReader, value: Json | undefined, where: string): [number, number] {
  const match = /^(\d{1,3})\.(\d{1,3})$/.exec(r.string(value, where));
  if (!match) r.fail(where, `expected a kernel version such as "4.8", got ${describe(value)}`);
  return [Number(match[1]), Number(match[2])];
}

function parseFilter(r: ProfileReader, value: Json | undefined, where: string): RuleFilter {
  if (value === undefined || value === null) return {};
  const o = r.object(value, where);
  const filter: RuleFilter = {};
  if (o.caps !== undefined && o.caps !== null) {
    filter.caps = r.strings(o.caps, `${where}.caps`, 64).map((cap, i) => {
      if (!/^CAP_[A-Z_]{1,32}$/.test(cap))
        r.fail(`${where}.caps[${i}]`, `expected a capability name such as CAP_SYS_ADMIN, got ${describe(cap)}`);
      return cap;
    });
  }
  if (o.arches !== undefined && o.arches !== null) filter.arches = r.strings(o.arches, `${where}.arches`, 64);
  if (o.minKernel !== undefined && o.minKernel !== null && o.minKernel !== '') {
    filter.minKernel = parseKernel(r, o.minKernel, `${where}.minKernel`);
  }
  return filter;
}

function parseArgs(r: ProfileReader, value: Json | undefined, where: string): ArgCondition[] {
  if (value === undefined || value === null) return [];
  return r.array(value, where, 6).map((item, i) => {
    const at = `${where}[${i}]`;
    const o = r.object(item, at);
    const index = r.unsigned(o.index, `${at}.index`, 5n);
    const op = OPERATORS[r.string(o.op, `${at}.op`)];
    if (op === undefined)
      r.fail(`${at}.op`, `unknown operator ${describe(o.op)} (expected ${Object.keys(OPERATORS).join(', ')})`);
    const valueTwo =
      o.valueTwo === undefined || o.valueTwo === null ? 0n : r.unsigned(o.valueTwo, `${at}.valueTwo`, U64_MAX);
    return { index: Number(index), op, value: r.unsigned(o.value, `${at}.value`, U64_MAX), valueTwo };
  });
}

function parseRule(r: ProfileReader, value: Json, where: string): SeccompRule {
  const o = r.object(value, where);
  let names: string[];
  if (o.names !== undefined && o.names !== null) names = r.strings(o.names, `${where}.names`, NAMES_MAX);
  else if (o.name !== undefined) names = [r.string(o.name, `${where}.name`)];
  else r.fail(where, 'expected `names` (an array of syscall names) or `name`');
  names.forEach((name, i) => {
    if (!/^[a-z_][a-z0-9_]{0,63}$/.test(name))
      r.fail(`${where}.names[${i}]`, `expected a syscall name, got ${describe(name)}`);
  });
  return {
    names,
    action: parseAction(r, o.action, o.errnoRet, `${where}.`),
    args: parseArgs(r, o.args, `${where}.args`),
    includes: parseFilter(r, o.includes, `${where}.includes`),
    excludes: parseFilter(r, o.excludes, `${where}.excludes`),
  };
}

function abisOf(r: ProfileReader, names: string[], where: string): SeccompAbi[] {
  const abis = new Set<SeccompAbi>(['x86_64']);
  names.forEach((name, i) => {
    const abi = ARCHES[name];
    if (abi === undefined)
      r.fail(
        `${where}[${i}]`,
        `unknown architecture ${describe(name)} (expected SCMP_ARCH_X86_64, SCMP_ARCH_X86, ...)`,
      );
    if (abi !== 'foreign') abis.add(abi);
  });
  return [...abis];
}

function parseAbis(r: ProfileReader, o: { [key: string]: Json }): SeccompAbi[] | undefined {
  const hasList = o.architectures !== undefined && o.architectures !== null;
  const hasMap = o.archMap !== undefined && o.archMap !== null;
  if (hasList && hasMap)
    r.fail('architectures', 'give either `architectures` or `archMap`, not both (as Docker requires)');
  // The filter always handles the native ABI (libseccomp adds it); the listed ones come on top.
  if (hasList) return abisOf(r, r.strings(o.architectures, 'architectures', 32), 'architectures');
  if (!hasMap) return ['x86_64'];
  const entries = r.array(o.archMap, 'archMap', 32).map((entry, i) => r.object(entry, `archMap[${i}]`));
  const native = entries.findIndex((e) => e.architecture === NATIVE_ARCH);
  if (native < 0) return ['x86_64'];
  const sub = entries[native]!.subArchitectures;
  const subNames = sub === undefined || sub === null ? [] : r.strings(sub, `archMap[${native}].subArchitectures`, 32);
  return abisOf(r, subNames, `archMap[${native}].subArchitectures`);
}

function parseFlags(r: ProfileReader, value: Json | undefined): number {
  if (value === undefined || value === null) return 0;
  let flags = 0;
  r.strings(value, 'flags', 8).forEach((name, i) => {
    const bit = SECCOMP_FILTER_FLAGS[name as keyof typeof SECCOMP_FILTER_FLAGS];
    if (bit === undefined)
      r.fail(
        `flags[${i}]`,
        `unsupported flag ${describe(name)} (expected ${Object.keys(SECCOMP_FILTER_FLAGS).join(', ')})`,
      );
    // TSYNC syncs threads; the helper is single-threaded when it loads the filter.
    if (name !== 'SECCOMP_FILTER_FLAG_TSYNC') flags |= bit;
  });
  return flags;
}

/**
 * Parses Docker's seccomp profile JSON. `source` names the file in messages.
 * @throws InputError naming the file, the field and what was expected.
 */
export function parseDockerSeccompProfile(text: string, source: string): SeccompProfile {
  const r = new ProfileReader(source);
  if (Buffer.byteLength(text) > PROFILE_MAX_BYTES) r.fail('file', `larger than ${PROFILE_MAX_BYTES} bytes`);
  let parsed: Json = null;
  try {
    parsed = JSON.parse(quoteLargeIntegers(text)) as Json;
  } catch (error) {
    r.fail('file', `not valid JSON (${(error as Error).message})`);
  }
  const o = r.object(parsed, 'top level');
  if (typeof o.listenerPath === 'string' && o.listenerPath !== '') {
    r.fail('listenerPath', 'a seccomp agent socket is not supported by isobench');
  }
  const defaultAction = parseAction(r, o.defaultAction, o.defaultErrnoRet, 'default');
  const rulesJson = o.syscalls === undefined || o.syscalls === null ? [] : r.array(o.syscalls, 'syscalls', RULES_MAX);
  const profile: SeccompProfile = {
    defaultAction,
    flags: parseFlags(r, o.flags),
    rules: rulesJson.map((rule, i) => parseRule(r, rule, `syscalls[${i}]`)),
  };
  const abis = parseAbis(r, o);
  if (abis) profile.abis = abis;
  return profile;
}
