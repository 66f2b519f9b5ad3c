import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { resolveSourceDateEpoch } from '../../src/image/recipe/source-date-epoch.js';

describe('resolveSourceDateEpoch', () => {
  it('takes the build arg first, then the environment; empty counts as unset', () => {
    expect(resolveSourceDateEpoch({}, {})).toBeUndefined();
    expect(resolveSourceDateEpoch({}, { SOURCE_DATE_EPOCH: '' })).toBeUndefined();
    expect(resolveSourceDateEpoch({}, { SOURCE_DATE_EPOCH: '1700000000' })).toBe(1_700_000_000);
    expect(resolveSourceDateEpoch({ SOURCE_DATE_EPOCH: '5' }, { SOURCE_DATE_EPOCH: '7' })).toBe(5);
    expect(resolveSourceDateEpoch({ SOURCE_DATE_EPOCH: '' }, { SOURCE_DATE_EPOCH: '7' })).toBe(7);
  });

  it('accepts 0 to 9999-12-31T23:59:59Z', () => {
    expect(resolveSourceDateEpoch({ SOURCE_DATE_EPOCH: '0' }, {})).toBe(0);
    expect(resolveSourceDateEpoch({ SOURCE_DATE_EPOCH: '253402300799' }, {})).toBe(253_402_300_799);
  });

  it.each(['-1', '1.5', ' 1', '1e9', '0x10', '253402300800', '9999999999999', 'now'])(
    'rejects %j naming where it came from',
    (value) => {
      expect(() => resolveSourceDateEpoch({ SOURCE_DATE_EPOCH: value }, {})).toThrow(InputError);
      expect(() => resolveSourceDateEpoch({ SOURCE_DATE_EPOCH: value }, {})).toThrow(
        `expected --build-arg SOURCE_DATE_EPOCH to be whole seconds since 1970 (0 to 253402300799), got '${value}'`,
      );
      expect(() => resolveSourceDateEpoch({}, { SOURCE_DATE_EPOCH: value })).toThrow(
        /^expected the SOURCE_DATE_EPOCH environment variable to be whole seconds/,
      );
    },
  );
});
