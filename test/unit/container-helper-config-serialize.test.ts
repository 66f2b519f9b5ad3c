import { describe, expect, it } from 'vitest';
import { serializeExecConfig, serializeHelperConfig } from '../../src/container/launch/helper-protocol.js';
import type { ContainerSpec } from '../../src/container/types.js';
import { InputError } from '../../src/errors.js';

const spec: ContainerSpec = {
  id: 'c1',
  lowerDirs: ['/l/top', '/l/base'],
  upperDir: '/c/upper',
  workDir: '/c/work',
  rootfsDir: '/c/rootfs',
  args: ['sh', '-c', 'echo hi'],
  env: ['PATH=/bin', 'A=b c'],
  cwd: '/srv',
  uid: 1000,
  gid: 100,
  additionalGids: [10, 20],
  hostname: 'box',
  network: 'none',
  limits: {},
  binds: [{ source: '/ctx', target: '/build', readonly: true }],
};

/** Renders records as `key=value` lines for readable exact comparisons. */
function records(buf: Buffer): string[] {
  const parts = buf.toString('utf8').split('\0');
  expect(parts.pop()).toBe('');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += 2) out.push(`${parts[i]}=${parts[i + 1]}`);
  return out;
}

describe('serializeHelperConfig', () => {
  it('writes an attached config in fixed order', () => {
    const buf = serializeHelperConfig(
      spec,
      {
        mode: { kind: 'attached', stdio: 'inherit' },
        cgroupProcsFiles: ['/cg/mem/x/cgroup.procs'],
      },
      { parentPid: 42 },
    );
    expect(records(buf)).toEqual([
      'version=1',
      'mode=attached',
      'parent_pid=42',
      'rootfs=/c/rootfs',
      'upper=/c/upper',
      'work=/c/work',
      'lower=/l/top',
      'lower=/l/base',
      'hostname=box',
      'network=none',
      'cgroup_procs=/cg/mem/x/cgroup.procs',
      'bind_ro=/ctx',
      'bind_to=/build',
      'rlimit=nofile 1048576 1048576',
      'cwd=/srv',
      'uid=1000',
      'gid=100',
      'gid_extra=10',
      'gid_extra=20',
      'env=PATH=/bin',
      'env=A=b c',
      'arg=sh',
      'arg=-c',
      'arg=echo hi',
    ]);
    expect(buf.subarray(0, 24).toString('latin1')).toBe('version\x001\x00mode\x00attached\x00');
  });

  it('adds log, exit and removal entries in detached mode', () => {
    const buf = serializeHelperConfig(
      { ...spec, lowerDirs: [], binds: undefined, network: 'host' },
      {
        mode: {
          kind: 'detached',
          stdoutLog: '/s/out',
          stderrLog: '/s/err',
          exitFile: '/s/exit',
          removeOnExit: { dirs: ['/s'], cgroupDirs: ['/cg/mem/x'] },
        },
        cgroupProcsFiles: [],
      },
      { rlimits: [] },
    );
    expect(records(buf).slice(0, 12)).toEqual([
      'version=1',
      'mode=detached',
      'rootfs=/c/rootfs',
      'upper=/c/upper',
      'work=/c/work',
      'hostname=box',
      'network=host',
      'stdout_log=/s/out',
      'stderr_log=/s/err',
      'exit_file=/s/exit',
      'rm_dir=/s',
      'rm_cgroup=/cg/mem/x',
    ]);
  });

  it('refuses a NUL byte inside a value', () => {
    expect(() =>
      serializeHelperConfig(
        { ...spec, args: ['a\0b'] },
        { mode: { kind: 'attached', stdio: 'pipe' }, cgroupProcsFiles: [] },
      ),
    ).toThrow(InputError);
  });
});

describe('serializeExecConfig', () => {
  it('names the target pid, its cgroups and the process', () => {
    const buf = serializeExecConfig(
      { pid: 777, cgroupProcsFiles: ['/cg/pids/x/cgroup.procs'] },
      { args: ['id'], env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, additionalGids: [] },
    );
    expect(buf.toString('latin1')).toBe(
      'version\x001\x00target_pid\x00777\x00cgroup_procs\x00/cg/pids/x/cgroup.procs\x00cwd\x00/\x00uid\x000\x00gid\x000\x00env\x00PATH=/bin\x00arg\x00id\x00',
    );
  });

  it('passes a seccomp filter as hex (a BPF program holds NUL bytes), flags only when set', () => {
    const proc = { args: ['id'], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [] };
    const bytes = Buffer.from([0x06, 0, 0, 0, 0, 0, 0xff, 0x7f]);
    const plain = serializeExecConfig({ pid: 7, cgroupProcsFiles: [] }, { ...proc, seccomp: { bytes, flags: 0 } });
    expect(plain.toString('latin1')).toMatch(/arg\x00id\x00seccomp\x00060000000000ff7f\x00$/);
    const logged = serializeExecConfig({ pid: 7, cgroupProcsFiles: [] }, { ...proc, seccomp: { bytes, flags: 2 } });
    expect(logged.toString('latin1')).toMatch(/seccomp\x00060000000000ff7f\x00seccomp_flags\x002\x00$/);
  });

  it('passes the capability mask and no_new_privs only when given', () => {
    const proc = { args: ['id'], env: [], cwd: '/', uid: 0, gid: 0, additionalGids: [] };
    const asked = serializeExecConfig(
      { pid: 7, cgroupProcsFiles: [] },
      { ...proc, capabilityMask: (1n << 40n) | 1n, noNewPrivileges: false },
    );
    expect(asked.toString('latin1')).toMatch(/arg\x00id\x00caps\x001099511627777\x00no_new_privs\x000\x00$/);
    const on = serializeExecConfig({ pid: 7, cgroupProcsFiles: [] }, { ...proc, noNewPrivileges: true });
    expect(on.toString('latin1')).toMatch(/arg\x00id\x00no_new_privs\x001\x00$/);
  });
});
