// Docker's JSON seccomp profile format as --security-opt seccomp=PROFILE.json reads it: what is
// accepted, and that every bad profile is one InputError line naming the file and the field.
import { describe, expect, it } from 'vitest';
import { parseSecurityOpts } from '../../src/cli/security-opts.js';
import { parseDockerSeccompProfile } from '../../src/container/seccomp/docker-profile.js';
import { InputError } from '../../src/errors.js';

const parse = (json: unknown) =>
  parseDockerSeccompProfile(typeof json === 'string' ? json : JSON.stringify(json), 'p.json');

describe('parseDockerSeccompProfile', () => {
  it('reads actions, names, args (64-bit masks kept exact), includes/excludes and architectures', () => {
    const profile = parse(
      `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"architectures":["SCMP_ARCH_X86","SCMP_ARCH_AARCH64"],
        "syscalls":[{"names":["clone"],"action":"SCMP_ACT_ALLOW",
          "args":[{"index":0,"value":18446744073709551615,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}],
          "excludes":{"caps":["CAP_SYS_ADMIN"]},"includes":{"minKernel":"4.8"}}]}`,
    );
    expect(profile.defaultAction).toEqual({ kind: 'errno', errno: 38 });
    expect(profile.abis).toEqual(['x86_64', 'i386']);
    expect(profile.rules[0]!.args[0]).toEqual({ index: 0, op: 'masked-eq', value: (1n << 64n) - 1n, valueTwo: 0n });
    expect(profile.rules[0]!.excludes).toEqual({ caps: ['CAP_SYS_ADMIN'] });
    expect(profile.rules[0]!.includes).toEqual({ minKernel: [4, 8] });
  });

  it.each([
    ['not JSON', '{', /p\.json: file: not valid JSON/],
    ['an array', [], /p\.json: top level: expected an object/],
    [
      'an unknown default action',
      { defaultAction: 'SCMP_ACT_NOPE' },
      /p\.json: defaultAction: unknown action "SCMP_ACT_NOPE"/,
    ],
    [
      'an errno over 4095',
      { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 4096 },
      /defaultErrnoRet: expected a whole number from 0 to 4095/,
    ],
    ['a notify action', { defaultAction: 'SCMP_ACT_NOTIFY' }, /defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent/],
    [
      'a bad syscall name',
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['../x'], action: 'SCMP_ACT_ALLOW' }] },
      /syscalls\[0\]\.names\[0\]: expected a syscall name/,
    ],
    [
      'an arg index over 5',
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }],
      },
      /syscalls\[0\]\.args\[0\]\.index: expected a whole number from 0 to 5/,
    ],
    [
      'an unknown operator',
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_LIKE' }] }],
      },
      /args\[0\]\.op: unknown operator/,
    ],
    [
      'a value over 2^64-1',
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551616,"op":"SCMP_CMP_EQ"}]}]}',
      /args\[0\]\.value: expected a whole number from 0 to 18446744073709551615/,
    ],
    [
      'an unknown architecture',
      { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_Z80'] },
      /architectures\[0\]: unknown architecture/,
    ],
    [
      'a listener path',
      { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' },
      /listenerPath: a seccomp agent socket is not supported/,
    ],
  ])('refuses %s with one line naming the field', (_label, json, message) => {
    let thrown: unknown;
    try {
      parse(json);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  });
});

describe('parseSecurityOpts', () => {
  it('reads seccomp=unconfined and seccomp=PATH; the last one wins', () => {
    expect(parseSecurityOpts(['seccomp=unconfined'])).toEqual({ seccomp: { kind: 'unconfined' } });
    expect(parseSecurityOpts(['seccomp=unconfined', 'seccomp=/p.json'])).toEqual({
      seccomp: { kind: 'profile', path: '/p.json' },
    });
    expect(parseSecurityOpts([])).toEqual({});
  });

  it.each(['seccomp', 'seccomp=', 'apparmor=unconfined', 'label=disable'])('refuses %j', (value) => {
    expect(() => parseSecurityOpts([value])).toThrow(InputError);
  });
});
