import { describe, expect, it } from 'vitest';
import { moduleNameOf, parseModuleDepends, resolveModuleOrder } from '../../src/vm/kernel-modules.js';

const deps: Record<string, string[]> = {
  ext4: ['jbd2', 'mbcache', 'crc16'],
  jbd2: [],
  mbcache: [],
  crc16: [],
  virtio_blk: ['virtio', 'virtio_ring'],
  virtio: ['virtio_ring'],
  virtio_ring: [],
  virtio_mmio: ['virtio', 'virtio_ring'],
};

describe('kernel modules', () => {
  it('canonicalises module file names', () => {
    expect(moduleNameOf('/x/crc32c-intel.ko')).toBe('crc32c_intel');
    expect(moduleNameOf('ext4.ko.xz')).toBe('ext4');
    expect(moduleNameOf('virtio_blk.ko.zst')).toBe('virtio_blk');
  });

  it('reads depends= from .modinfo bytes', () => {
    const ko = Buffer.from('\x7fELF...\0license=GPL\0depends=jbd2,mbcache,crc16\0retpoline=Y\0');
    expect(parseModuleDepends(ko)).toEqual(['jbd2', 'mbcache', 'crc16']);
    expect(parseModuleDepends(Buffer.from('\0depends=\0'))).toEqual([]);
    expect(parseModuleDepends(Buffer.from('no modinfo'))).toEqual([]);
  });

  it('orders dependencies first, each module once', () => {
    expect(resolveModuleOrder(['virtio_mmio', 'virtio_blk', 'ext4'], (n) => deps[n])).toEqual([
      'virtio_ring',
      'virtio',
      'virtio_mmio',
      'virtio_blk',
      'jbd2',
      'mbcache',
      'crc16',
      'ext4',
    ]);
  });

  it('names a missing module and who needs it', () => {
    expect(() => resolveModuleOrder(['ext4'], (n) => (n === 'crc16' ? undefined : deps[n]))).toThrow(
      "kernel module 'crc16' (needed by ext4) is not in the guest kernel",
    );
  });

  it('refuses a dependency cycle', () => {
    const cyclic: Record<string, string[]> = { a: ['b'], b: ['a'] };
    expect(() => resolveModuleOrder(['a'], (n) => cyclic[n])).toThrow('module dependency cycle: a -> b -> a');
  });
});
