// Which host files a shipped recipe copies, so image-prep stages them into its build context.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageDir } from '../../src/paths.js';
import { baseImageOf, recipeDirFor, stagedSourcesOf } from '../../src/targets/image-prep.js';

const HOST = { busybox: '/bin/busybox', 'isobench-probe': '/x/build/isobench-probe' };

describe('stagedSourcesOf', () => {
  it('finds host files named as COPY/ADD sources only', () => {
    const recipe = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN echo isobench-probe\nadd  isobench-probe /usr/bin/\n';
    expect(stagedSourcesOf(recipe, HOST)).toEqual(['busybox', 'isobench-probe']);
    expect(stagedSourcesOf('FROM scratch\nCOPY etc/ /etc/\n', HOST)).toEqual([]);
  });

  it('stages busybox and the probe for the shipped probe recipe', () => {
    const dir = recipeDirFor('probe');
    expect(dir).toBe(path.join(packageDir(), 'scenarios', 'images', 'probe'));
    expect(stagedSourcesOf(readFileSync(path.join(dir!, 'Containerfile'), 'utf8'), HOST)).toEqual([
      'busybox',
      'isobench-probe',
    ]);
    expect(recipeDirFor('no-such-image:1')).toBeUndefined();
  });
});

describe('baseImageOf', () => {
  it('names the image a recipe builds FROM, after its flags; scratch has none', () => {
    expect(baseImageOf('# nginx\nFROM debian\nRUN --network=host apt-get update\n')).toBe('debian');
    expect(baseImageOf('ARG V=1\nfrom --platform=linux/amd64 redis:7\n')).toBe('redis:7');
    expect(baseImageOf('FROM scratch\nADD rootfs.tar.gz /\n')).toBeUndefined();
    expect(baseImageOf('# no FROM at all\n')).toBeUndefined();
  });

  it('finds the shipped debian recipe that the real-software recipes build on', () => {
    for (const name of ['nginx', 'redis', 'fio', 'sysbench', 'wrk', 'iperf3', 'stress-ng']) {
      const recipe = readFileSync(`scenarios/images/${name}/Containerfile`, 'utf8');
      expect(baseImageOf(recipe), name).toBe('debian');
      expect(recipeDirFor('debian')).toMatch(/scenarios\/images\/debian$/);
    }
  });
});
