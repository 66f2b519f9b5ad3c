import { describe, expect, it } from 'vitest';
import {
  type ContainerRecord,
  deriveStatus,
  generateContainerName,
  isContainerId,
  parseExitFile,
  parseRecord,
  parseSignal,
  STATE_SCHEMA_VERSION,
  toExitInfo,
  validateContainerName,
} from '../../src/container/state.js';
import { parseProcStat } from '../../src/util/process.js';

const ID = 'ab'.repeat(32);

function record(overrides: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    id: ID,
    name: 'c1',
    image: { ref: 'busybox:latest', digest: `sha256:${'0'.repeat(64)}` },
    lowerDirs: ['/l'],
    args: ['sh'],
    env: [],
    cwd: '/',
    user: '',
    uid: 0,
    gid: 0,
    hostname: 'h',
    network: 'none',
    limits: {},
    stopSignal: 'SIGTERM',
    createdAt: '2025-01-01T00:00:00.000Z',
    status: 'running',
    creatorPid: 10,
    creatorStartTime: 1,
    pid: 11,
    pidStartTime: 2,
    monitorPid: 12,
    monitorStartTime: 3,
    detached: true,
    remove: false,
    cgroupDirs: [],
    ...overrides,
  };
}

const probes = { workloadAlive: false, monitorAlive: false, creatorAlive: false, exitFileText: undefined };

describe('parseProcStat', () => {
  it('reads state and field 22 after a comm holding spaces and parentheses', () => {
    const line = '4242 (we ird) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50\n';
    expect(parseProcStat(line)).toEqual({ state: 'S', startTicks: 987654 });
  });
  it('rejects a line without a comm', () => {
    expect(parseProcStat('garbage')).toBeUndefined();
  });
});

describe('parseExitFile', () => {
  it('parses "<code> <signal>\\n"', () => {
    expect(parseExitFile('3 0\n')).toEqual({ exitCode: 3, signalNumber: 0 });
    expect(parseExitFile('137 9\n')).toEqual({ exitCode: 137, signalNumber: 9 });
  });
  it('rejects anything else', () => {
    expect(parseExitFile('')).toBeUndefined();
    expect(parseExitFile('3')).toBeUndefined();
    expect(parseExitFile('-1 0\n')).toBeUndefined();
  });
});

describe('toExitInfo', () => {
  it('reports a plain exit', () => {
    expect(toExitInfo(3, undefined, 0)).toEqual({ exitCode: 3, oomKilled: false, reason: 'exited' });
  });
  it('reports a signal as 128+n', () => {
    expect(toExitInfo(0, 'SIGTERM', 0)).toEqual({
      exitCode: 143,
      signal: 'SIGTERM',
      oomKilled: false,
      reason: 'signaled',
    });
  });
  it('reports SIGKILL with an OOM kill counted as oom-killed', () => {
    expect(toExitInfo(0, 'SIGKILL', 1)).toEqual({
      exitCode: 137,
      signal: 'SIGKILL',
      oomKilled: true,
      reason: 'oom-killed',
    });
  });
  it('keeps a clean exit "exited" even when a child was OOM-killed', () => {
    expect(toExitInfo(1, undefined, 2)).toEqual({ exitCode: 1, oomKilled: true, reason: 'exited' });
  });
  it('reads exit 137 with an OOM kill as a shell reporting its OOM-killed child', () => {
    expect(toExitInfo(137, undefined, 1)).toEqual({ exitCode: 137, oomKilled: true, reason: 'oom-killed' });
    expect(toExitInfo(137, undefined, 0)).toEqual({ exitCode: 137, oomKilled: false, reason: 'exited' });
  });
});

describe('parseSignal', () => {
  it('accepts names with and without SIG and numbers', () => {
    expect(parseSignal('TERM')).toEqual({ name: 'SIGTERM', number: 15 });
    expect(parseSignal('sigkill')).toEqual({ name: 'SIGKILL', number: 9 });
    expect(parseSignal('2')).toEqual({ name: 'SIGINT', number: 2 });
  });
  it('rejects unknown signals with InputError', () => {
    expect(() => parseSignal('SIGFOO')).toThrow(/unknown signal 'SIGFOO'/);
    expect(() => parseSignal('0')).toThrow(/unknown signal/);
  });
});

describe('names and ids', () => {
  it('generates a readable name from the id', () => {
    expect(generateContainerName(ID)).toBe('keen_falcon_abab');
  });
  it('validates names', () => {
    expect(() => validateContainerName('web-1.a_b')).not.toThrow();
    expect(() => validateContainerName('-x')).toThrow(/invalid container name/);
    expect(() => validateContainerName('a/b')).toThrow(/invalid container name/);
    expect(() => validateContainerName('')).toThrow(/invalid container name/);
  });
  it('recognises ids', () => {
    expect(isContainerId(ID)).toBe(true);
    expect(isContainerId(ID.toUpperCase())).toBe(false);
    expect(isContainerId(ID.slice(1))).toBe(false);
  });
});

describe('parseRecord', () => {
  it('round-trips a record', () => {
    expect(parseRecord(JSON.stringify(record()), 'f')).toEqual(record());
  });
  it('rejects another schema version and non-JSON', () => {
    expect(() => parseRecord(JSON.stringify({ ...record(), schemaVersion: 2 }), '/x/state.json')).toThrow(
      '/x/state.json: not a container state (schema 1)',
    );
    expect(() => parseRecord('{', '/x/state.json')).toThrow('/x/state.json: not valid JSON');
  });
});

describe('deriveStatus', () => {
  it('keeps stopped', () => {
    expect(deriveStatus(record({ status: 'stopped' }), { ...probes, workloadAlive: true })).toEqual({
      status: 'stopped',
    });
  });
  it('trusts the exit file first', () => {
    expect(deriveStatus(record(), { ...probes, workloadAlive: true, exitFileText: '0 9\n' })).toEqual({
      status: 'stopped',
      exit: { exitCode: 0, signalNumber: 9 },
    });
  });
  it('flags a malformed exit file', () => {
    expect(deriveStatus(record(), { ...probes, exitFileText: 'x' })).toEqual({
      status: 'stopped',
      statusDetail: 'the exit file written by the monitor is malformed',
    });
  });
  it('keeps creating while the creator lives, stopped once it died', () => {
    expect(deriveStatus(record({ status: 'creating' }), { ...probes, creatorAlive: true })).toEqual({
      status: 'creating',
    });
    expect(deriveStatus(record({ status: 'creating' }), probes).status).toBe('stopped');
  });
  it('detached: running while the workload or its monitor lives', () => {
    expect(deriveStatus(record(), { ...probes, workloadAlive: true }).status).toBe('running');
    expect(deriveStatus(record(), { ...probes, monitorAlive: true }).status).toBe('running');
    expect(deriveStatus(record(), { ...probes, creatorAlive: true })).toEqual({
      status: 'stopped',
      statusDetail: 'its monitor died before recording the exit',
    });
  });
  it('attached: running while the creator may still record the exit', () => {
    const attached = record({ detached: false });
    expect(deriveStatus(attached, { ...probes, creatorAlive: true }).status).toBe('running');
    expect(deriveStatus(attached, { ...probes, monitorAlive: true })).toEqual({
      status: 'stopped',
      statusDetail: 'the attached isobench process died before recording the exit',
    });
  });
});
