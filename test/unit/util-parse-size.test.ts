// parseSize/formatSize: the --memory syntax, binary units, and the error for garbage.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { formatSize, parseSize } from '../../src/util/parse-size.js';

describe('parseSize', () => {
  it.each([
    ['1048576', 1048576],
    ['0', 0],
    ['512k', 524288],
    ['256m', 268435456],
    ['256M', 268435456],
    ['1g', 1073741824],
    ['1G', 1073741824],
    ['2t', 2199023255552],
    ['256mb', 268435456],
    ['256MiB', 268435456],
    ['1GiB', 1073741824],
    ['100b', 100],
    ['1.5g', 1610612736],
    ['0.3k', 307],
    [' 64m ', 67108864],
  ])('parses %j as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'abc', '-1m', '1x', '1 g b', '1ib', 'm', '1e6', '0x10', '1,5g'])('rejects %j', (text) => {
    expect(() => parseSize(text)).toThrow(InputError);
  });

  it('names the flag and the expected form', () => {
    expect(() => parseSize('lots', '--memory')).toThrow(
      "expected --memory to be a size like 512k, 256m, 1g or a byte count, got 'lots'",
    );
  });

  it('rejects sizes beyond exact integers', () => {
    expect(() => parseSize('9999999t')).toThrow(InputError);
  });
});

describe('formatSize', () => {
  it.each([
    [1024, '1k'],
    [1536, '1536'],
    [4194304, '4m'],
    [1073741824, '1g'],
    [0, '0'],
    [7, '7'],
  ])('formats %d as %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});
