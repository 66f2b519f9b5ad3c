import { describe, expect, it } from 'vitest';
import { formatDoctorTable } from '../../src/cli/commands/doctor.js';
import { areRequiredChecksOk, type DoctorCheck } from '../../src/host/doctor.js';
import { EnvironmentFingerprintSchema } from '../../src/host/fingerprint-schema.js';

const checks: DoctorCheck[] = [
  { name: 'root', status: 'ok', detail: 'running as uid 0', required: true },
  {
    name: 'kvm',
    status: 'limited',
    detail: 'VMs run under TCG, slow; every figure says tcg',
    fix: 'load kvm',
    required: false,
  },
];

describe('doctor output', () => {
  it('formats an aligned table with the fix last', () => {
    expect(formatDoctorTable(checks)).toBe(
      [
        'NAME  STATUS   DETAIL                                          FIX',
        'root  ok       running as uid 0',
        'kvm   limited  VMs run under TCG, slow; every figure says tcg  load kvm',
      ].join('\n'),
    );
  });

  it('passes only when every required check is ok', () => {
    expect(areRequiredChecksOk(checks)).toBe(true);
    expect(areRequiredChecksOk([...checks, { name: 'helper', status: 'missing', detail: 'x', required: true }])).toBe(
      false,
    );
  });
});

describe('EnvironmentFingerprintSchema', () => {
  const fingerprint = {
    fingerprintVersion: 1,
    collectedAt: '2026-01-02T03:04:05.000Z',
    hostname: 'vm',
    os: { platform: 'linux', distro: 'Debian GNU/Linux', release: '12', codename: 'bookworm', arch: 'x64' },
    kernelRelease: '6.18.0',
    cpu: {
      manufacturer: 'AMD',
      brand: 'EPYC',
      family: '25',
      model: '17',
      stepping: '1',
      cores: 2,
      physicalCores: 2,
      speedGhz: 0,
      virtualizationFlag: false,
    },
    memory: {
      totalBytes: 25276502016,
      availableBytes: 24781127680,
      swapTotalBytes: 0,
      ksmRun: 0,
      thpEnabled: 'madvise',
      thpDefrag: 'madvise',
    },
    system: { manufacturer: '', model: 'x', virtual: true, virtualHost: 'KVM' },
    cgroup: { mode: 'hybrid', v1Controllers: ['memory'], v2Controllers: ['hugetlb'] },
    kvm: { available: false, module: null },
    tools: {
      'qemu-system-x86_64': 'QEMU emulator version 7.2.22',
      'qemu-img': null,
      runc: null,
      crun: null,
      podman: null,
      skopeo: null,
      umoci: null,
      busybox: null,
      debootstrap: null,
    },
    nodeVersion: 'v20.19.0',
    isobench: { version: '0.1.0', gitCommit: null, gitDirty: null },
  };

  it('accepts a complete fingerprint and survives a JSON round trip', () => {
    expect(EnvironmentFingerprintSchema.parse(JSON.parse(JSON.stringify(fingerprint)))).toEqual(fingerprint);
  });

  it('rejects an unknown cgroup mode', () => {
    const bad = { ...fingerprint, cgroup: { ...fingerprint.cgroup, mode: 'v3' } };
    expect(EnvironmentFingerprintSchema.safeParse(bad).success).toBe(false);
  });
});
