import { describe, expect, it } from 'vitest';
import { parseMemoryMiB, parseVcpus } from '../../src/cli/commands/vm-run.js';
import { parseCpuinfoKhz } from '../../src/vm/guest-clock.js';

describe('vm run flags', () => {
  it('parses --memory into MiB', () => {
    expect(parseMemoryMiB('256')).toBe(256);
    expect(parseMemoryMiB('256m')).toBe(256);
    expect(parseMemoryMiB('1g')).toBe(1024);
    expect(parseMemoryMiB('512MiB')).toBe(512);
    expect(() => parseMemoryMiB('1.5g')).toThrow("expected --memory like 256m or 1g, got '1.5g'");
  });

  it('parses --cpus as whole vCPUs', () => {
    expect(parseVcpus('2')).toBe(2);
    expect(() => parseVcpus('0.5')).toThrow(/whole number/);
    expect(() => parseVcpus('0')).toThrow(/whole number/);
  });

  it('reads the TSC rate for TCG guests from cpuinfo', () => {
    expect(parseCpuinfoKhz('model name : X\ncpu MHz\t\t: 2596.128\n')).toBe(2596128);
    expect(parseCpuinfoKhz('nothing')).toBeUndefined();
  });
});
