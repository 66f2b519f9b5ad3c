import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { nameFromFile, stripDefaultRegistry } from '../../src/image/image-ref.js';
import { parseImageRef } from '../../src/image/store.js';

describe('parseImageRef', () => {
  it('defaults the tag to latest', () => {
    expect(parseImageRef('busybox')).toEqual({ name: 'busybox', tag: 'latest' });
  });
  it('splits name and tag at the last colon after the last slash', () => {
    expect(parseImageRef('lab/busy.box-x:1.36_A')).toEqual({ name: 'lab/busy.box-x', tag: '1.36_A' });
  });
  it.each(['BusyBox', 'busybox:', 'busybox:has/slash', '', '-lead', 'a..b', `x:${'t'.repeat(129)}`, 'a:b:c', '../etc'])(
    'refuses %j with InputError naming the expected form',
    (ref) => {
      expect(() => parseImageRef(ref)).toThrow(InputError);
      try {
        parseImageRef(ref);
      } catch (error) {
        expect((error as InputError).hint).toContain('NAME[:TAG]');
      }
    },
  );
  it('accepts a 128-character tag', () => {
    expect(parseImageRef(`x:${'t'.repeat(128)}`).tag).toHaveLength(128);
  });
});

describe('imported names', () => {
  it('strips Docker Hub prefixes', () => {
    expect(stripDefaultRegistry('docker.io/library/busybox:1.36')).toBe('busybox:1.36');
    expect(stripDefaultRegistry('docker.io/lab/tool:1')).toBe('lab/tool:1');
    expect(stripDefaultRegistry('quay.io/x/y:1')).toBe('quay.io/x/y:1');
  });
  it('derives a name from an archive file name', () => {
    expect(nameFromFile('BusyBox_1.36.tar')).toBe('busybox-1.36');
    expect(nameFromFile('___.tar')).toBeUndefined();
  });
});
