// The helper config records of a run with mounts: binds and tmpfs mounts in one list, parents
// first, each followed by its `bind_to`; `readonly_rootfs` for --read-only.
import { describe, expect, it } from 'vitest';
import { serializeHelperConfig } from '../../src/container/launch/helper-protocol.js';
import type { ContainerSpec } from '../../src/container/types.js';

const spec: ContainerSpec = {
  id: 'c1',
  lowerDirs: ['/l/base'],
  upperDir: '/c/upper',
  workDir: '/c/work',
  rootfsDir: '/c/rootfs',
  args: ['true'],
  env: [],
  cwd: '/',
  uid: 0,
  gid: 0,
  additionalGids: [],
  hostname: 'box',
  network: 'none',
  limits: {},
};

function mountRecords(s: ContainerSpec): string[] {
  const parts = serializeHelperConfig(s, { mode: { kind: 'attached', stdio: 'pipe' }, cgroupProcsFiles: [] })
    .toString('utf8')
    .split('\0');
  const out: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (['bind_ro', 'bind_rw', 'bind_to', 'tmpfs', 'readonly_rootfs'].includes(parts[i]!)) {
      out.push(`${parts[i]}=${parts[i + 1]}`);
    }
  }
  return out;
}

describe('serializeHelperConfig with mounts', () => {
  it('writes binds and tmpfs mounts parents first, each with its target', () => {
    const records = mountRecords({
      ...spec,
      binds: [
        { source: '/host/cache', target: '/data/cache', readonly: true },
        { source: '/host/data', target: '/data', readonly: false },
      ],
      tmpfs: [{ target: '/run', options: 'nosuid,nodev,noexec,size=1048576' }],
      readonlyRootfs: true,
    });
    expect(records).toEqual([
      'bind_rw=/host/data',
      'bind_to=/data',
      'tmpfs=nosuid,nodev,noexec,size=1048576',
      'bind_to=/run',
      'bind_ro=/host/cache',
      'bind_to=/data/cache',
      'readonly_rootfs=1',
    ]);
  });

  it('writes none of them for a run without mounts', () => {
    expect(mountRecords(spec)).toEqual([]);
  });
});
