// Pure helpers of the peer targets: overlay options, cgroup host classification, podman flags,
// names and config files; exact values.
import { describe, expect, it } from 'vitest';
import { classifyCgroupHost } from '../../src/targets/peer-mount-ns.js';
import {
  parseHardLimit,
  podmanLayout,
  renderContainersConf,
  renderStorageConf,
} from '../../src/targets/peer-podman-env.js';
import { overlayOptions } from '../../src/targets/peer-rootfs.js';
import { podmanImageName, podmanRunArgs } from '../../src/targets/podman.js';

const V1 = '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu';
const V2 = '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw';
const EXT4 = '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw';

describe('overlayOptions', () => {
  it('names lower dirs under the layers dir relatively, topmost first, others absolutely', () => {
    expect(overlayOptions(['/s/layers/bb', '/s/layers/aa', '/elsewhere/cc'], '/s/layers', '/i/upper', '/i/work')).toBe(
      'lowerdir=bb:aa:/elsewhere/cc,upperdir=/i/upper,workdir=/i/work',
    );
  });
  it('refuses commas (they would split the option string) and too many layers', () => {
    expect(() => overlayOptions(['/a,b'], '/s', '/u', '/w')).toThrow(/comma/);
    const many = Array.from({ length: 70 }, (_, i) => `/s/layers/${String(i).padStart(64, '0')}`);
    expect(() => overlayOptions(many, '/s/layers', '/u', '/w')).toThrow(/too many layers/);
  });
});

describe('classifyCgroupHost', () => {
  it('tells v1, v2, hybrid and none apart', () => {
    expect(classifyCgroupHost([EXT4, V1].join('\n'))).toBe('v1');
    expect(classifyCgroupHost([EXT4, V2].join('\n'))).toBe('v2');
    expect(classifyCgroupHost([V1, V2].join('\n'))).toBe('hybrid');
    expect(classifyCgroupHost(EXT4)).toBe('none');
  });
});

describe('podman helpers', () => {
  it('names the image by its ref and manifest digest', () => {
    expect(podmanImageName('Library/My_App:2', `sha256:${'ab'.repeat(32)}`)).toBe(
      'localhost/isobench/my_app:abababababab',
    );
  });

  it('builds run flags: network none, our cgroup parent, limits, env', () => {
    expect(podmanRunArgs({ env: { A: '1' }, limits: { memoryBytes: 1048576, cpus: 0.5 } }, 'n1', '/d')).toEqual([
      '--name',
      'n1',
      '--network',
      'none',
      '--pull',
      'never',
      '--cgroup-parent',
      '/isobench-podman',
      '--cidfile',
      '/d/cid',
      '--conmon-pidfile',
      '/d/conmon.pid',
      '--memory=1048576',
      '--memory-swap=1048576',
      '--cpus=0.5',
      '--pids-limit=-1',
      '--env',
      'A=1',
    ]);
  });

  it('reads hard limits from /proc/self/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             96365                96365                processes ',
      'Max locked memory         unlimited            unlimited            bytes     ',
    ].join('\n');
    expect(parseHardLimit(text, 'Max processes')).toBe(96365);
    expect(parseHardLimit(text, 'Max locked memory')).toBeUndefined();
  });

  it('writes a containers.conf within the hard limits and a storage.conf in our root', () => {
    const layout = podmanLayout('/state');
    expect(layout.runRoot).toMatch(/^\/run\/isobench-podman-[0-9a-f]{12}$/);
    expect(renderContainersConf(layout, 96365)).toBe(
      [
        '[containers]',
        'default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]',
        '',
        '[engine]',
        'runtime = "runc"',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        'tmp_dir = "/state/targets/podman/tmp"',
        '',
      ].join('\n'),
    );
    expect(renderStorageConf(layout)).toContain('graphroot = "/state/targets/podman/root"');
  });
});
