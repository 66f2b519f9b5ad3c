import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStaticElf } from '../../src/host/elf.js';
import { probeKvm } from '../../src/host/kvm.js';
import { CAP_SYS_RESOURCE, hasBoundingCapability, parseNofileLimit } from '../../src/host/process-limits.js';
import { findExecutable } from '../../src/util/find-executable.js';

// A minimal ELF64 LE header followed by program headers of the given p_type values.
function makeElf(programTypes: number[]): Buffer {
  const phentsize = 56;
  const file = Buffer.alloc(64 + phentsize * programTypes.length);
  file.writeUInt32BE(0x7f454c46, 0);
  file[4] = 2; // ELFCLASS64
  file[5] = 1; // ELFDATA2LSB
  file.writeBigUInt64LE(64n, 0x20); // e_phoff
  file.writeUInt16LE(phentsize, 0x36);
  file.writeUInt16LE(programTypes.length, 0x38);
  programTypes.forEach((type, index) => {
    file.writeUInt32LE(type, 64 + index * phentsize);
  });
  return file;
}

describe('host probes on fake files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-host-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tells a static ELF (no PT_INTERP) from a dynamic one and from text', async () => {
    await writeFile(path.join(dir, 'static'), makeElf([1, 1, 4]));
    await writeFile(path.join(dir, 'dynamic'), makeElf([6, 3, 1]));
    await writeFile(path.join(dir, 'script'), '#!/bin/sh\necho hi\n'.padEnd(80, ' '));
    expect(await isStaticElf(path.join(dir, 'static'))).toBe(true);
    expect(await isStaticElf(path.join(dir, 'dynamic'))).toBe(false);
    expect(await isStaticElf(path.join(dir, 'script'))).toBe(false);
  });

  it('reports KVM available when the device opens read-write and the CPU has svm, with the loaded module', async () => {
    const device = path.join(dir, 'kvm');
    await writeFile(device, '');
    await mkdir(path.join(dir, 'sys/module/kvm_amd'), { recursive: true });
    await mkdir(path.join(dir, 'proc'), { recursive: true });
    await writeFile(path.join(dir, 'proc/cpuinfo'), 'processor\t: 0\nflags\t\t: fpu vme svm sse2\n');
    expect(
      await probeKvm({ devKvm: device, sysRoot: path.join(dir, 'sys'), procRoot: path.join(dir, 'proc') }),
    ).toEqual({
      available: true,
      module: 'kvm_amd',
      reason: null,
    });
  });

  it('reports KVM unusable when the device opens but the CPU has neither vmx nor svm (a nested guest)', async () => {
    const device = path.join(dir, 'kvm');
    await writeFile(device, '');
    await mkdir(path.join(dir, 'sys/module/kvm_pvm'), { recursive: true });
    await mkdir(path.join(dir, 'proc'), { recursive: true });
    await writeFile(path.join(dir, 'proc/cpuinfo'), 'processor\t: 0\nflags\t\t: fpu vme sse2\n');
    expect(
      await probeKvm({ devKvm: device, sysRoot: path.join(dir, 'sys'), procRoot: path.join(dir, 'proc') }),
    ).toEqual({
      available: false,
      module: 'kvm_pvm',
      reason: '/dev/kvm opens but the CPU has no vmx/svm flag (nested virtualisation is off)',
    });
  });

  it('reports KVM unavailable with the open error when the device is missing', async () => {
    const device = path.join(dir, 'no-kvm');
    expect(await probeKvm({ devKvm: device, sysRoot: path.join(dir, 'sys') })).toEqual({
      available: false,
      module: null,
      reason: '/dev/kvm cannot be opened read-write (ENOENT)',
    });
  });

  it('finds an executable on a given PATH and skips non-executables', async () => {
    await mkdir(path.join(dir, 'bin1'));
    await mkdir(path.join(dir, 'bin2'));
    await writeFile(path.join(dir, 'bin1/tool'), 'not executable');
    await writeFile(path.join(dir, 'bin2/tool'), '#!/bin/sh\n');
    await chmod(path.join(dir, 'bin2/tool'), 0o755);
    const searchPath = `${path.join(dir, 'bin1')}:${path.join(dir, 'bin2')}`;
    // As root, access(X_OK) succeeds when any execute bit is set; bin1/tool has none.
    expect(await findExecutable('tool', searchPath)).toBe(path.join(dir, 'bin2/tool'));
    expect(await findExecutable('absent', searchPath)).toBeNull();
  });
});

describe('process limits parsing', () => {
  it('reads Max open files from /proc/self/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             96364                96364                processes ',
      'Max open files            1024                 20000                files     ',
    ].join('\n');
    expect(parseNofileLimit(text)).toEqual({ soft: 1024, hard: 20000 });
    expect(parseNofileLimit('Max open files  unlimited  unlimited  files')).toEqual({ soft: null, hard: null });
    expect(parseNofileLimit('nothing')).toBeUndefined();
  });

  it('reads CAP_SYS_RESOURCE from the bounding set', () => {
    // This machine's CapBnd: every capability up to 40 except 24 (CAP_SYS_RESOURCE).
    expect(hasBoundingCapability('CapBnd:\t000001fffeffffff\n', CAP_SYS_RESOURCE)).toBe(false);
    expect(hasBoundingCapability('CapBnd:\t000001ffffffffff\n', CAP_SYS_RESOURCE)).toBe(true);
    expect(hasBoundingCapability('CapBnd:\t000001fffeffffff\n', 21)).toBe(true);
  });
});
