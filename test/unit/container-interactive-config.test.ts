// run's -i/-t/--init/--ulimit/--shm-size as the CLI parses them and as the helper config carries
// them: exact records, Docker's refusals, and the EPERM a --ulimit would meet refused up front.
import { describe, expect, it } from 'vitest';
import { resolveInteractive } from '../../src/cli/interactive-flags.js';
import { serializeExecConfig, serializeHelperConfig } from '../../src/container/launch/helper-protocol.js';
import type { ContainerSpec } from '../../src/container/types.js';
import {
  checkUlimitsSettable,
  hardLimitFrom,
  hasSysResource,
  parseUlimit,
  parseUlimits,
} from '../../src/container/ulimit.js';
import { InputError } from '../../src/errors.js';

const spec: ContainerSpec = {
  id: 'c1',
  lowerDirs: [],
  upperDir: '/c/upper',
  workDir: '/c/work',
  rootfsDir: '/c/rootfs',
  args: ['sh'],
  env: [],
  cwd: '/',
  uid: 0,
  gid: 0,
  additionalGids: [],
  hostname: 'box',
  network: 'none',
  limits: {},
};

function records(buf: Buffer): string[] {
  const parts = buf.toString('utf8').split('\0');
  parts.pop();
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += 2) out.push(`${parts[i]}=${parts[i + 1]}`);
  return out;
}

// A /proc/self/limits and /proc/self/status as this kind of host has them (no CAP_SYS_RESOURCE).
const LIMITS = [
  'Limit                     Soft Limit           Hard Limit           Units     ',
  'Max processes             96364                96364                processes ',
  'Max open files            20000                20000                files     ',
  'Max core file size        0                    unlimited            bytes     ',
].join('\n');
const STATUS_WITHOUT = 'Name:\tnode\nCapEff:\t000001fffeffffff\n';
const STATUS_WITH = 'Name:\tnode\nCapEff:\t000001ffffffffff\n';
const fakeProc = (status: string) => (file: string) => (file.endsWith('status') ? status : LIMITS);

describe('--ulimit parsing', () => {
  it("takes Docker's NAME=SOFT[:HARD], -1 as unlimited", () => {
    expect(parseUlimit('nofile=1024:2048')).toEqual({ name: 'nofile', soft: 1024, hard: 2048 });
    expect(parseUlimit('nproc=64')).toEqual({ name: 'nproc', soft: 64, hard: 64 });
    expect(parseUlimit('core=-1')).toEqual({ name: 'core', soft: 'unlimited', hard: 'unlimited' });
    expect(parseUlimit('core=0:-1')).toEqual({ name: 'core', soft: 0, hard: 'unlimited' });
  });

  it('refuses malformed values, unknown names, soft above hard and a name given twice', () => {
    expect(() => parseUlimit('nofile')).toThrow("expected --ulimit to be NAME=SOFT[:HARD], got 'nofile'");
    expect(() => parseUlimit('files=1')).toThrow("unknown --ulimit resource 'files' in 'files=1'");
    expect(() => parseUlimit('nofile=x')).toThrow(InputError);
    expect(() => parseUlimit('nofile=10:5')).toThrow(
      "expected the --ulimit soft limit to be at most the hard limit, got 'nofile=10:5'",
    );
    expect(() => parseUlimit('core=-1:5')).toThrow(InputError);
    expect(() => parseUlimits(['nofile=1', 'nofile=2'])).toThrow('--ulimit nofile is given twice');
  });
});

describe('--ulimit against what this host lets us raise', () => {
  it('reads hard limits and CAP_SYS_RESOURCE from /proc', () => {
    expect(hardLimitFrom(LIMITS, 'nofile')).toBe(20000);
    expect(hardLimitFrom(LIMITS, 'core')).toBe('unlimited');
    expect(hardLimitFrom(LIMITS, 'stack')).toBeUndefined();
    expect(hasSysResource(STATUS_WITHOUT)).toBe(false);
    expect(hasSysResource(STATUS_WITH)).toBe(true);
  });

  it('refuses a hard limit above ours without CAP_SYS_RESOURCE, naming the most allowed', () => {
    const read = fakeProc(STATUS_WITHOUT);
    expect(() => checkUlimitsSettable([parseUlimit('nofile=30000')], read)).toThrow(
      '--ulimit nofile: hard limit 30000 is above 20000, the most this host lets isobench set (it lacks CAP_SYS_RESOURCE)',
    );
    expect(() => checkUlimitsSettable([parseUlimit('nofile=1024:30000')], read)).toThrow(
      expect.objectContaining({ hint: 'give at most --ulimit nofile=1024:20000' }),
    );
    expect(() => checkUlimitsSettable([parseUlimit('nofile=100:20000'), parseUlimit('core=-1')], read)).not.toThrow();
    // With the capability the kernel decides.
    expect(() => checkUlimitsSettable([parseUlimit('nofile=30000')], fakeProc(STATUS_WITH))).not.toThrow();
  });
});

describe('-i / -t', () => {
  it('maps to stdin and tty as Docker does', () => {
    expect(resolveInteractive({}, () => false)).toEqual({ stdin: 'ignore', tty: false });
    expect(resolveInteractive({ interactive: true }, () => false)).toEqual({ stdin: 'inherit', tty: false });
    expect(resolveInteractive({ tty: true }, () => false)).toEqual({ stdin: 'ignore', tty: true });
    expect(resolveInteractive({ interactive: true, tty: true }, () => true)).toEqual({ stdin: 'inherit', tty: true });
  });

  it('refuses -it without a terminal on stdin', () => {
    expect(() => resolveInteractive({ interactive: true, tty: true }, () => false)).toThrow(
      'the input device is not a TTY',
    );
  });
});

describe('helper config records', () => {
  it('carries tty, init, shm_size and a --ulimit that replaces the default of its name', () => {
    const buf = serializeHelperConfig(
      {
        ...spec,
        init: true,
        shmSizeBytes: 1 << 28,
        ulimits: [
          { name: 'nofile', soft: 1024, hard: 2048 },
          { name: 'core', soft: 'unlimited', hard: 'unlimited' },
        ],
      },
      { mode: { kind: 'attached', stdio: 'inherit', stdin: 'inherit', tty: true }, cgroupProcsFiles: [] },
    );
    const lines = records(buf);
    expect(lines.filter((l) => /^(rlimit|ulimit|shm_size|init|tty)=/.test(l))).toEqual([
      'ulimit=nofile 1024 2048',
      'ulimit=core 18446744073709551615 18446744073709551615',
      'shm_size=268435456',
      'init=1',
      'tty=1',
    ]);
  });

  it('keeps the default rlimit and adds nothing without the flags', () => {
    const lines = records(
      serializeHelperConfig(spec, { mode: { kind: 'attached', stdio: 'inherit' }, cgroupProcsFiles: [] }),
    );
    expect(lines.filter((l) => /^(rlimit|ulimit|shm_size|init|tty)=/.test(l))).toEqual([
      'rlimit=nofile 1048576 1048576',
    ]);
  });

  it('marks an exec with a pty', () => {
    const proc = { args: ['sh'], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [] };
    expect(records(serializeExecConfig({ pid: 7, cgroupProcsFiles: [] }, proc, { tty: true })).slice(0, 3)).toEqual([
      'version=1',
      'target_pid=7',
      'tty=1',
    ]);
  });
});
