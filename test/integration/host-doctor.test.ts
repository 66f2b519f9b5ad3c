import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand } from '../../src/cli/commands/doctor.js';
import { makeCliContext } from '../../src/cli/context.js';
import { areRequiredChecksOk, type DoctorCheck, runDoctor } from '../../src/host/doctor.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

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

function find(checks: DoctorCheck[], name: string): DoctorCheck {
  const found = checks.find((entry) => entry.name === name);
  if (!found) throw new Error(`no check named ${name}`);
  return found;
}

// Probe cgroups the doctor creates must all be gone afterwards.
function leftoverProbeCgroups(): string[] {
  const left: string[] = [];
  for (const hierarchy of ['memory', 'cpu', 'pids', 'unified']) {
    const dir = path.join('/sys/fs/cgroup', hierarchy);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) if (name.startsWith('isobench-doctor-')) left.push(path.join(dir, name));
  }
  return left;
}

describe('runDoctor on this host', () => {
  let checks: DoctorCheck[];
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'isobench-doctor-'));
    checks = await runDoctor();
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('reports root ok and every namespace type usable', () => {
    expect(find(checks, 'root').status).toBe('ok');
    for (const type of ['pid', 'mount', 'net', 'uts', 'ipc', 'cgroup', 'time', 'user']) {
      expect(find(checks, `namespace:${type}`).status).toBe('ok');
    }
    expect(find(checks, 'overlayfs').status).toBe('ok');
  });

  it('reports KVM as the VM target would use it', () => {
    const kvm = find(checks, 'kvm');
    if (canUseKvm()) {
      expect(kvm.status).toBe('ok');
    } else {
      expect(kvm.status).toBe('limited');
      expect(kvm.detail).toContain('tcg');
    }
  });

  it('reports KVM limited, saying tcg, when the device cannot be opened', async () => {
    const limited = await runDoctor({ devKvm: path.join(tmp, 'no-kvm') });
    const kvm = find(limited, 'kvm');
    expect(kvm.status).toBe('limited');
    expect(kvm.detail).toMatch(/TCG.*every figure says tcg/);
    expect(kvm.fix).toBeTruthy();
  });

  it('reports crun limited on hybrid cgroups, and cgroup controllers usable, leaving no probe cgroup', () => {
    const cgroups = find(checks, 'cgroups');
    if (cgroups.detail.startsWith('hybrid')) expect(find(checks, 'crun').status).toBe('limited');
    expect(cgroups.detail).toMatch(/memory:v[12] cpu:v[12] pids:v[12]/);
    expect(leftoverProbeCgroups()).toEqual([]);
  });

  it('fails the required checks when the helper is not built, naming the set-up script', async () => {
    const withoutHelper = await runDoctor({ helperPath: path.join(tmp, 'isobench-helper') });
    const helper = find(withoutHelper, 'helper');
    expect(helper).toMatchObject({ status: 'missing', required: true, fix: 'bash scripts/setup.sh' });
    expect(areRequiredChecksOk(withoutHelper)).toBe(false);
  });

  it('prints JSON from the command with an exit code matching the required checks', async () => {
    let out = '';
    const stdout = new Writable({
      write(chunk, _encoding, callback) {
        out += String(chunk);
        callback();
      },
    });
    const ctx = { ...makeCliContext(tmp), stdout };
    const code = await doctorCommand(ctx, { json: true });
    const parsed = JSON.parse(out) as { ok: boolean; checks: DoctorCheck[] };
    expect(code).toBe(parsed.ok ? 0 : 1);
    expect(parsed.ok).toBe(areRequiredChecksOk(parsed.checks));
    expect(find(parsed.checks, 'root').status).toBe('ok');
  });
});
