import { describe, expect, it } from 'vitest';
import { isVersionedKernelPackage, parseAptRecord } from '../../src/vm/kernel-package.js';
import { findXzOffset, isElf } from '../../src/vm/vmlinux.js';

describe('kernel package', () => {
  it('parses the first apt-cache show record', () => {
    const text = [
      'Package: linux-image-amd64',
      'Version: 6.1.192-2',
      'Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2) | other, foo',
      'Description: meta',
      ' continued',
      'SHA256: A86E2049672F52354C4536A089203B6C82639420424D31C91CF31A181FD4D8F1',
      '',
      'Package: linux-image-amd64',
      'Version: 6.1.176-1',
      '',
    ].join('\n');
    expect(parseAptRecord(text)).toEqual({
      package: 'linux-image-amd64',
      version: '6.1.192-2',
      sha256: 'a86e2049672f52354c4536a089203b6c82639420424d31c91cf31a181fd4d8f1',
      depends: ['linux-image-6.1.0-56-amd64', 'foo'],
    });
  });

  it('tells versioned kernel packages from meta-packages', () => {
    expect(isVersionedKernelPackage('linux-image-6.1.0-56-amd64')).toBe(true);
    expect(isVersionedKernelPackage('linux-image-amd64')).toBe(false);
  });

  it('finds the XZ stream in a bzImage and recognises an ELF', () => {
    const image = Buffer.concat([Buffer.from('MZ setup code'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1])]);
    expect(findXzOffset(image)).toBe(13);
    expect(findXzOffset(Buffer.from('no payload'))).toBe(-1);
    expect(isElf(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2]))).toBe(true);
    expect(isElf(Buffer.from('MZ'))).toBe(false);
  });
});
