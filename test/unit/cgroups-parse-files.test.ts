// Parsers of cgroupfs files against files captured on this host (v1) and written from cgroup-v2.rst (v2).

import { describe, expect, it } from 'vitest';
import { parseMemoryStat, parseOomControl } from '../../src/container/cgroups/index.js';
import {
  parseFlatKeyed,
  parsePidList,
  readFlatKeyedField,
  readMemoryStatFigures,
} from '../../src/container/cgroups/parse-cgroup-files.js';
import { readFixture } from '../fixtures/cgroupfs/fake-cgroupfs.js';

describe('parseMemoryStat', () => {
  it('reads anon/file from a v1 memory.stat captured on Linux 6.18 (rss/cache names)', () => {
    const stat = parseMemoryStat(readFixture('v1-memory.stat'));
    expect(stat.anonBytes).toBe(28020736);
    expect(stat.fileBytes).toBe(8552448);
    expect(stat.fields.hierarchical_memory_limit).toBe(2 ** 63 - 4096); // v1 "unlimited", exact in a double
    expect(Object.keys(stat.fields)).toHaveLength(42);
  });

  it('prefers the hierarchical total_* fields over the local ones', () => {
    const stat = parseMemoryStat('cache 1\nrss 2\ntotal_cache 10\ntotal_rss 20\n');
    expect(stat).toEqual({
      anonBytes: 20,
      fileBytes: 10,
      fields: { cache: 1, rss: 2, total_cache: 10, total_rss: 20 },
    });
  });

  it('reads anon/file from a v2 memory.stat', () => {
    const stat = parseMemoryStat(readFixture('v2-memory.stat'));
    expect(stat.anonBytes).toBe(28020736);
    expect(stat.fileBytes).toBe(8552448);
    expect(stat.fields.shmem).toBe(8388608);
  });

  it('leaves anon/file absent and skips malformed lines', () => {
    expect(parseMemoryStat('garbage\nkey notanumber\nx 1 2\n\npgfault 5')).toEqual({ fields: { pgfault: 5 } });
  });
});

describe('parseOomControl', () => {
  it('reads a v1 memory.oom_control captured after an OOM kill on this host', () => {
    expect(parseOomControl(readFixture('v1-memory.oom_control'))).toEqual({
      oomKillDisable: false,
      underOom: false,
      oomKills: 1,
    });
  });

  it('has no oomKills on kernels before 4.13', () => {
    expect(parseOomControl('oom_kill_disable 1\nunder_oom 1\n')).toEqual({ oomKillDisable: true, underOom: true });
  });
});

describe('parseFlatKeyed', () => {
  it('reads v2 cpu.stat and memory.events', () => {
    expect(parseFlatKeyed(readFixture('v2-cpu.stat')).usage_usec).toBe(1234567);
    expect(parseFlatKeyed(readFixture('v2-memory.events'))).toEqual({
      low: 0,
      high: 0,
      max: 57,
      oom: 2,
      oom_kill: 2,
      oom_group_kill: 0,
    });
  });
});

describe('parsePidList', () => {
  it('sorts and dedupes', () => {
    expect(parsePidList('30\n4\n\n30\n7\n')).toEqual([4, 7, 30]);
    expect(parsePidList('')).toEqual([]);
  });
});

describe('readMemoryStatFigures (single-field reads for the sampler)', () => {
  it('gives the same anon/file bytes as parseMemoryStat on captured v1 and v2 files', () => {
    for (const name of ['v1-memory.stat', 'v2-memory.stat']) {
      const text = readFixture(name);
      const { anonBytes, fileBytes } = parseMemoryStat(text);
      expect(anonBytes).toBeDefined();
      expect(readMemoryStatFigures(text)).toEqual({ anonBytes, fileBytes });
    }
  });

  it('finds a key on the first line or later, and not a key that is only a prefix', () => {
    const text = 'cache 10\nrss 20\nrss_huge 30\n';
    expect(readFlatKeyedField(text, 'cache')).toBe(10);
    expect(readFlatKeyedField(text, 'rss')).toBe(20);
    expect(readFlatKeyedField(text, 'rss_huge')).toBe(30);
    expect(readFlatKeyedField(text, 'anon')).toBeUndefined();
  });
});
