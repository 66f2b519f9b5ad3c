import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../src/container/state.js';
import { ownerPidOfTmpName } from '../../src/container/verbs/gc.js';
import { matchContainer } from '../../src/container/verbs/list.js';
import { mountsUnder } from '../../src/container/verbs/remove.js';

const rec = (name: string, id: string) => ({ name, id }) as ContainerRecord;
const records = [
  rec('web', `abcd1${'0'.repeat(59)}`),
  rec('db', `abcd2${'0'.repeat(59)}`),
  rec('abcd', `ffff${'0'.repeat(60)}`),
];

describe('matchContainer', () => {
  it('prefers an exact name over an id prefix', () => {
    expect(matchContainer(records, 'abcd').name).toBe('abcd');
  });
  it('matches a full id and a unique prefix', () => {
    expect(matchContainer(records, `abcd2${'0'.repeat(59)}`).name).toBe('db');
    expect(matchContainer(records, 'ABCD1').name).toBe('web');
  });
  it('refuses an ambiguous prefix, naming the candidates', () => {
    const ambiguous = [rec('web', `abce1${'0'.repeat(59)}`), rec('db', `abce2${'0'.repeat(59)}`)];
    expect(() => matchContainer(ambiguous, 'abce')).toThrow(
      "id prefix 'abce' is ambiguous: it matches web (abce10000000), db (abce20000000)",
    );
  });
  it('refuses prefixes under 4 digits', () => {
    expect(() => matchContainer(records, 'fff')).toThrow("no container named 'fff' and no id starting with it");
  });
  it('says how to list containers when nothing matches', () => {
    try {
      matchContainer(records, 'nope');
      expect.unreachable();
    } catch (error) {
      expect((error as { hint: string }).hint).toBe('list containers with `isobench ps -a`');
    }
  });
});

describe('ownerPidOfTmpName', () => {
  it('finds the pid between separators', () => {
    expect(ownerPidOfTmpName('extract-1234-abcd')).toBe(1234);
    expect(ownerPidOfTmpName('layer.77.tmp')).toBe(77);
  });
  it('finds none without one', () => {
    expect(ownerPidOfTmpName('plainname')).toBeUndefined();
    expect(ownerPidOfTmpName('x-0-y')).toBeUndefined();
  });
});

describe('mountsUnder', () => {
  const mountinfo = [
    '22 1 8:0 / / rw - ext4 /dev/vda rw',
    '30 22 0:40 / /var/lib/isobench/containers/abc/rootfs rw - overlay overlay rw',
    '31 22 0:41 / /var/lib/isobench/containers/abcdef rw - tmpfs tmpfs rw',
    '32 22 0:42 / /var/lib/isobench/containers/abc/with\\040space rw - tmpfs tmpfs rw',
  ].join('\n');
  it('lists mounts at or below the dir, not siblings sharing a prefix', () => {
    expect(mountsUnder('/var/lib/isobench/containers/abc', mountinfo)).toEqual([
      '/var/lib/isobench/containers/abc/rootfs',
      '/var/lib/isobench/containers/abc/with space',
    ]);
  });
});
