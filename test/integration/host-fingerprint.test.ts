import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { collectFingerprint } from '../../src/host/fingerprint.js';
import { EnvironmentFingerprintSchema } from '../../src/host/fingerprint-schema.js';

// Independent check of what the VM target needs: /dev/kvm opens read-write AND the CPU has
// vmx/svm (a nested guest's /dev/kvm can open while its guests never run).
function canUseKvm(): boolean {
  try {
    closeSync(openSync('/dev/kvm', constants.O_RDWR));
  } catch {
    return false;
  }
  return /^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
}

describe('collectFingerprint on this host', () => {
  it('reports the running kernel, KVM as the VM target would use it, and installed tools; JSON round-trips', async () => {
    const started = performance.now();
    const fingerprint = await collectFingerprint();
    const elapsedMs = performance.now() - started;
    console.log(
      `fingerprint in ${elapsedMs.toFixed(0)} ms: kvm ${JSON.stringify(fingerprint.kvm)}, cgroup ${fingerprint.cgroup.mode}`,
    );
    expect(fingerprint.kernelRelease).toBe(os.release());
    expect(fingerprint.hostname).toBe(os.hostname());
    expect(fingerprint.kvm.available).toBe(canUseKvm());
    expect(fingerprint.nodeVersion).toBe(process.version);
    expect(fingerprint.cpu.cores).toBe(os.cpus().length);
    expect(fingerprint.memory.totalBytes).toBe(os.totalmem());
    // The set-up script installs these; the version line names the tool.
    expect(fingerprint.tools.busybox).toMatch(/^BusyBox v/);
    expect(fingerprint.tools['qemu-img']).toMatch(/^qemu-img version/);
    expect(fingerprint.isobench.version).toMatch(/^\d+\.\d+\.\d+/);
    // A kernel whose cpuinfo carries the hypervisor flag runs in a guest: never reported as bare metal.
    const flagged = /^flags\s*:.*\bhypervisor\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
    if (flagged) expect(fingerprint.virtualization?.host).toBe('guest');
    expect(EnvironmentFingerprintSchema.parse(JSON.parse(JSON.stringify(fingerprint)))).toEqual(fingerprint);
  });
});
