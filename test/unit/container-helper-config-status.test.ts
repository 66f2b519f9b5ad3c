import { describe, expect, it } from 'vitest';
import {
  errorFromStatus,
  parseStatusLine,
  signalName,
  WorkloadExecError,
} from '../../src/container/launch/helper-protocol.js';
import { HelperError } from '../../src/errors.js';

describe('parseStatusLine', () => {
  it('parses every line kind', () => {
    expect(parseStatusLine('pid 1234')).toEqual({ kind: 'pid', pid: 1234 });
    expect(parseStatusLine('monitor 99')).toEqual({ kind: 'monitor', pid: 99 });
    expect(parseStatusLine('warn capability CAP_X missing')).toEqual({
      kind: 'warn',
      message: 'capability CAP_X missing',
    });
    expect(parseStatusLine('exit 137 9')).toEqual({ kind: 'exit', exitCode: 137, signal: 9 });
    expect(parseStatusLine('error mount 1 mount `proc` on `/proc`: Operation not permitted')).toEqual({
      kind: 'error',
      syscall: 'mount',
      errno: 1,
      message: 'mount `proc` on `/proc`: Operation not permitted',
    });
  });

  it('parses the launch stamps as bigint ns, past 2^53', () => {
    expect(parseStatusLine('stamps 100 200 300 9007199254740993')).toEqual({
      kind: 'stamps',
      phasesNs: { helperStartNs: 100n, namespacesNs: 200n, rootfsNs: 300n, execNs: 9007199254740993n },
    });
  });

  it('refuses malformed stamps, and stamps on the `pid` line', () => {
    expect(parseStatusLine('stamps 1 2 3')).toBeUndefined();
    expect(parseStatusLine('stamps 1 2 3 x')).toBeUndefined();
    expect(parseStatusLine('stamps 1 2 3 4 5')).toBeUndefined();
    expect(parseStatusLine('pid 42 1 2 3 4')).toBeUndefined();
  });

  it('ignores lines outside the protocol', () => {
    expect(parseStatusLine('')).toBeUndefined();
    expect(parseStatusLine('pid x')).toBeUndefined();
    expect(parseStatusLine('exit 1')).toBeUndefined();
    expect(parseStatusLine('hello 1')).toBeUndefined();
  });
});

describe('errorFromStatus', () => {
  it('maps a missing command to WorkloadExecError with 127', () => {
    const error = errorFromStatus({ kind: 'error', syscall: 'execve', errno: 2, message: 'exec `nope`: not found' });
    expect(error).toBeInstanceOf(WorkloadExecError);
    expect((error as WorkloadExecError).exitCode).toBe(127);
    expect(error.message).toContain('exec `nope`');
  });

  it('maps a permission failure to 126', () => {
    const error = errorFromStatus({ kind: 'error', syscall: 'execve', errno: 13, message: 'exec `/x`' });
    expect((error as WorkloadExecError).exitCode).toBe(126);
  });

  it('maps any other syscall to HelperError with syscall and errno', () => {
    const error = errorFromStatus({ kind: 'error', syscall: 'mount', errno: 1, message: 'mount `proc` on `/proc`' });
    expect(error).toBeInstanceOf(HelperError);
    expect((error as HelperError).syscall).toBe('mount');
    expect((error as HelperError).errno).toBe(1);
    expect(error.message).toBe('container setup failed: mount `proc` on `/proc`');
  });
});

describe('signalName', () => {
  it('names signals by number', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(0)).toBeUndefined();
  });
});
