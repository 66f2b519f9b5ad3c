import { describe, expect, it } from 'vitest';
import { writeCpioNewc } from '../../src/vm/cpio-newc.js';

describe('writeCpioNewc', () => {
  it('writes newc headers, 4-byte padding and the trailer', () => {
    const archive = writeCpioNewc([{ kind: 'file', path: 'init', mode: 0o755, data: Buffer.from('hi\n') }]);
    const header =
      '070701' +
      ['00000001', '000081ed', '00000000', '00000000', '00000001', '00000000', '00000003'].join('') +
      ['00000000', '00000000', '00000000', '00000000', '00000005', '00000000'].join('');
    expect(archive.subarray(0, 110).toString('ascii')).toBe(header);
    // 110 + "init\0" = 115 -> pad to 116; data 3 -> pad to 4.
    expect(archive.subarray(110, 116).toString('latin1')).toBe('init\0\0');
    expect(archive.subarray(116, 120).toString('latin1')).toBe('hi\n\0');
    expect(archive.subarray(120 + 6 + 8 * 11, 120 + 6 + 8 * 12).toString('ascii')).toBe('0000000b');
    expect(archive.subarray(120 + 110, 120 + 110 + 11).toString('latin1')).toBe('TRAILER!!!\0');
    expect(archive.length % 4).toBe(0);
  });

  it('encodes dirs, symlinks and device nodes', () => {
    const archive = writeCpioNewc([
      { kind: 'dir', path: '/dev', mode: 0o755 },
      { kind: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
      { kind: 'symlink', path: 'bin/sh', target: 'busybox' },
    ]).toString('latin1');
    expect(archive).toContain('000041ed');
    // mode S_IFCHR|0600, uid 0, gid 0, nlink 1, mtime 0, size 0, dev 0:0, rdev 5:1, namesize 12.
    const console = ['00002180', '00000000', '00000000', '00000001', '00000000', '00000000'];
    expect(archive).toContain([...console, '00000000', '00000000', '00000005', '00000001', '0000000c'].join(''));
    expect(archive).toContain('0000a1ff');
    expect(archive).toContain('bin/sh\0');
    expect(archive).toContain('busybox');
    expect(archive).not.toContain('/dev\0');
  });
});
