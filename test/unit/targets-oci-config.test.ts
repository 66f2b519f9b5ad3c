// buildOciConfig and its parts: image config + workload -> runtime-spec config.json, exact values.
import { describe, expect, it } from 'vitest';
import {
  buildOciConfig,
  DEFAULT_PATH,
  DOCKER_DEFAULT_CAPS,
  mergeEnv,
  ociResources,
  processArgs,
} from '../../src/targets/oci-bundle.js';

describe('mergeEnv', () => {
  it('lets the workload override image keys, keeps order, adds new keys last', () => {
    expect(mergeEnv(['PATH=/bin', 'A=1', 'B=2'], { A: 'x', C: '3' })).toEqual(['PATH=/bin', 'A=x', 'B=2', 'C=3']);
  });
  it('adds the default PATH when neither sets one, and skips malformed entries', () => {
    expect(mergeEnv(['NOEQUALS', '=bad'], {})).toEqual([`PATH=${DEFAULT_PATH}`]);
  });
  it('keeps "=" inside values', () => {
    expect(mergeEnv(['X=a=b'], {})).toEqual(['X=a=b', `PATH=${DEFAULT_PATH}`]);
  });
});

describe('processArgs', () => {
  it('replaces Entrypoint and Cmd with the workload args', () => {
    expect(processArgs({ Entrypoint: ['/init'], Cmd: ['x'] }, ['sh', '-c', 'true'])).toEqual(['sh', '-c', 'true']);
  });
  it('falls back to Entrypoint + Cmd', () => {
    expect(processArgs({ Entrypoint: ['/init'], Cmd: ['x'] }, [])).toEqual(['/init', 'x']);
  });
});

describe('ociResources', () => {
  it('maps memory (swap pinned to it), cpus (CFS quota) and pids', () => {
    expect(ociResources({ memoryBytes: 1048576, cpus: 1.5, pidsLimit: 10 })).toEqual({
      devices: [{ allow: false, access: 'rwm' }],
      memory: { limit: 1048576, swap: 1048576 },
      cpu: { quota: 150000, period: 100000 },
      pids: { limit: 10 },
    });
  });
  it('leaves unset limits out', () => {
    expect(ociResources({})).toEqual({ devices: [{ allow: false, access: 'rwm' }] });
  });
});

describe('buildOciConfig', () => {
  const config = buildOciConfig({
    image: { Env: ['PATH=/bin'], Cmd: ['sh'], WorkingDir: '/srv', User: '1000' },
    workload: { args: ['echo', 'hi'], env: { K: 'v' }, limits: { pidsLimit: 5 } },
    rootfsPath: '/state/targets/peers/id/rootfs',
    hostname: 'host1',
    cgroupsPath: '/isobench-peers/id',
    user: { uid: 1000, gid: 100, additionalGids: [] },
  });

  it('sets the process: args, env, cwd, user, no terminal, no_new_privs, Docker caps', () => {
    expect(config.process).toEqual({
      terminal: false,
      user: { uid: 1000, gid: 100 },
      args: ['echo', 'hi'],
      env: ['PATH=/bin', 'K=v'],
      cwd: '/srv',
      capabilities: {
        bounding: [...DOCKER_DEFAULT_CAPS],
        effective: [...DOCKER_DEFAULT_CAPS],
        permitted: [...DOCKER_DEFAULT_CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    });
  });

  it('uses a writable rootfs at the given path, the hostname and the cgroups path', () => {
    expect(config.root).toEqual({ path: '/state/targets/peers/id/rootfs', readonly: false });
    expect(config.hostname).toBe('host1');
    expect(config.linux.cgroupsPath).toBe('/isobench-peers/id');
    expect(config.linux.resources.pids).toEqual({ limit: 5 });
  });

  it('asks for new pid, network, ipc, uts, mount and cgroup namespaces', () => {
    expect(config.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
  });

  it("joins the host's network namespace for network: host, and only leaves that one out", () => {
    const host = buildOciConfig({
      image: { Cmd: ['sh'] },
      workload: { args: ['nginx'], env: {}, limits: {}, network: 'host' },
      rootfsPath: '/r',
      hostname: 'h',
      cgroupsPath: '/c',
      user: { uid: 0, gid: 0 },
    });
    expect(host.linux.namespaces.map((n) => n.type)).toEqual(['pid', 'ipc', 'uts', 'mount', 'cgroup']);
  });

  it('mounts what `runc spec` mounts, in its order, /sys read-only', () => {
    expect(config.mounts.map((m) => m.destination)).toEqual([
      '/proc',
      '/dev',
      '/dev/pts',
      '/dev/shm',
      '/dev/mqueue',
      '/sys',
      '/sys/fs/cgroup',
    ]);
    expect(config.mounts.find((m) => m.destination === '/sys')?.options).toContain('ro');
  });

  it('defaults cwd to / and keeps supplementary groups', () => {
    const other = buildOciConfig({
      image: {},
      workload: { args: ['true'], env: {}, limits: {} },
      rootfsPath: '/r',
      hostname: 'h',
      cgroupsPath: '/p/i',
      user: { uid: 0, gid: 0, additionalGids: [10] },
    });
    expect(other.process.cwd).toBe('/');
    expect(other.process.user).toEqual({ uid: 0, gid: 0, additionalGids: [10] });
  });
});
