import { describe, expect, it } from 'vitest';
import { formatGcReport } from '../../src/cli/commands/gc.js';
import { formatAgo, formatPsTable, formatStatus } from '../../src/cli/commands/ps.js';
import { formatMiB, parseLimitFlags } from '../../src/cli/commands/run.js';
import { parseStopTime } from '../../src/cli/commands/stop.js';
import type { ContainerRecord } from '../../src/container/state.js';

const NOW = Date.parse('2025-01-01T00:10:00.000Z');

const base = {
  id: `0123456789ab${'c'.repeat(52)}`,
  name: 'web',
  image: { ref: 'busybox:latest', digest: 'sha256:x' },
  args: ['sleep', '100'],
  createdAt: '2025-01-01T00:09:57.000Z',
} as ContainerRecord;

describe('ps formatting', () => {
  it('formats ages', () => {
    expect(formatAgo('2025-01-01T00:09:57.000Z', NOW)).toBe('3 s ago');
    expect(formatAgo('2025-01-01T00:00:00.000Z', NOW)).toBe('10 min ago');
    expect(formatAgo('2024-12-31T20:00:00.000Z', NOW)).toBe('4 h ago');
    expect(formatAgo('2024-12-29T00:00:00.000Z', NOW)).toBe('3 d ago');
  });
  it('formats statuses', () => {
    expect(formatStatus({ ...base, status: 'running', pid: 42 }, NOW)).toBe('running (pid 42)');
    expect(
      formatStatus(
        {
          ...base,
          status: 'stopped',
          finishedAt: '2025-01-01T00:09:58.000Z',
          exit: { exitCode: 137, oomKilled: true, reason: 'oom-killed', signal: 'SIGKILL' },
        },
        NOW,
      ),
    ).toBe('oom-killed (137) 2 s ago');
    expect(formatStatus({ ...base, status: 'stopped' }, NOW)).toBe('stopped (exit unknown)');
  });
  it('lays out the table', () => {
    expect(formatPsTable([{ ...base, status: 'running', pid: 42 }], NOW)).toBe(
      [
        'CONTAINER ID  IMAGE           COMMAND      CREATED  STATUS            NAME',
        '0123456789ab  busybox:latest  "sleep 100"  3 s ago  running (pid 42)  web',
      ].join('\n'),
    );
  });
});

describe('run flags', () => {
  it('parses limits', () => {
    expect(parseLimitFlags({ memory: '64m', cpus: '1.5', pidsLimit: '100' })).toEqual({
      memoryBytes: 67108864,
      cpus: 1.5,
      pidsLimit: 100,
    });
    expect(parseLimitFlags({})).toEqual({});
  });
  it('names the flag in errors', () => {
    expect(() => parseLimitFlags({ cpus: 'two' })).toThrow(
      "expected --cpus to be a number of CPUs such as 0.5 or 2, got 'two'",
    );
    expect(() => parseLimitFlags({ pidsLimit: '-1' })).toThrow(/--pids-limit/);
    expect(() => parseLimitFlags({ memory: 'lots' })).toThrow(/--memory/);
  });
  it('formats MiB', () => {
    expect(formatMiB(64 * 2 ** 20)).toBe('64 MiB');
    expect(formatMiB(1.5 * 2 ** 20)).toBe('1.5 MiB');
  });
  it('parses stop time in seconds', () => {
    expect(parseStopTime(undefined)).toBe(10_000);
    expect(parseStopTime('2.5')).toBe(2500);
    expect(() => parseStopTime('soon')).toThrow("expected --time to be a number of seconds, got 'soon'");
  });
});

describe('gc report', () => {
  it('prints one line per item or nothing to clean', () => {
    const empty = {
      removedContainers: [],
      markedStopped: [],
      killedOrphans: [],
      removedCorrupt: [],
      removedCgroups: [],
      removedTmpEntries: [],
      removedBridges: [],
      removedLeases: [],
      skipped: [],
    };
    expect(formatGcReport(empty)).toBe('containers: nothing to clean');
    expect(formatGcReport({ ...empty, removedCgroups: ['abc'], killedOrphans: ['def (x)'] })).toBe(
      'killed orphan: def (x)\nremoved cgroup: abc',
    );
  });
});
