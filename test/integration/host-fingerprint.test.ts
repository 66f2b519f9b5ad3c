import { closeSync, constants, openSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { collectFingerprint } from '../../src/host/fingerprint.js';
import { EnvironmentFingerprintSchema } from '../../src/host/fingerprint-schema.js';

// Independent KVM check: the same open(2) QEMU does, done synchronously here.
function canOpenKvm(): boolean {
  try {
    closeSync(openSync('/dev/kvm', constants.O_RDWR));
    return true;
  } catch {
    return false;
  }
}

describe('collectFingerprint on this host', () => {
  it('reports the running kernel, KVM as open(2) sees it, and installed tools; JSON round-trips', async () => {
    const started = performance.now();
    const fingerprint = await collectFingerprint();
    const elapsedMs = performance.now() - started;
    console.log(
      `fingerprint in ${elapsedMs.toFixed(0)} ms: kvm ${JSON.stringify(fingerprint.kvm)}, cgroup ${fingerprint.cgroup.mode}`,
    );
    expect(fingerprint.kernelRelease).toBe(os.release());
    expect(fingerprint.hostname).toBe(os.hostname());
    expect(fingerprint.kvm.available).toBe(canOpenKvm());
    expect(fingerprint.nodeVersion).toBe(process.version);
    expect(fingerprint.cpu.cores).toBe(os.cpus().length);
    expect(fingerprint.memory.totalBytes).toBe(os.totalmem());
    // The set-up script installs these; the version line names the tool.
    expect(fingerprint.tools.busybox).toMatch(/^BusyBox v/);
    expect(fingerprint.tools['qemu-img']).toMatch(/^qemu-img version/);
    expect(fingerprint.isobench.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(EnvironmentFingerprintSchema.parse(JSON.parse(JSON.stringify(fingerprint)))).toEqual(fingerprint);
  });
});
