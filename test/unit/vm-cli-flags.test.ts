import { describe, expect, it } from 'vitest';
import { parseMemoryMiB, parseVcpus } from '../../src/cli/commands/vm-run.js';
import { parseCpuinfoKhz } from '../../src/vm/guest-clock.js';

describe('vm run flags', () => {
  it('parses --memory into MiB', () => {
    expect(parseMemoryMiB('256')).toBe(256);
    expect(parseMemoryMiB('256m')).toBe(256);
    expect(parseMemoryMiB('1g')).toBe(1024);
    expect(parseMemoryMiB('512MiB')).toBe(512);
    expect(() => parseMemoryMiB('1.5g')).toThrow(
      "expected --memory to be a size from 64m to 64g such as 256m or 1g, got '1.5g'",
    );
    expect(() => parseMemoryMiB('1m')).toThrow("expected --memory to be from 64m to 64g, got '1m' (1 MiB)");
    expect(() => parseMemoryMiB('65g')).toThrow("expected --memory to be from 64m to 64g, got '65g' (66560 MiB)");
    expect(parseMemoryMiB('64m')).toBe(64);
    expect(parseMemoryMiB('64g')).toBe(65536);
  });

  it('parses --cpus as whole vCPUs', () => {
    expect(parseVcpus('2')).toBe(2);
    expect(() => parseVcpus('0.5')).toThrow(/whole number/);
    expect(() => parseVcpus('0')).toThrow("expected --cpus to be a whole number of vCPUs from 1 to 64, got '0'");
    expect(() => parseVcpus('65')).toThrow(/from 1 to 64/);
  });

  it('reads the TSC rate for TCG guests from cpuinfo', () => {
    expect(parseCpuinfoKhz('model name : X\ncpu MHz\t\t: 2596.128\n')).toBe(2596128);
    expect(parseCpuinfoKhz('nothing')).toBeUndefined();
  });
});
