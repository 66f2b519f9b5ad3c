// --cap-add/--cap-drop as Docker resolves them (moby's TweakCapabilities), and the bit mask the
// helper and /proc/PID/status use.
import { describe, expect, it } from 'vitest';
import {
  ALL_CAPS,
  capabilityMask,
  DOCKER_DEFAULT_CAPS,
  normalizeCapName,
  resolveCapabilities,
} from '../../src/container/capabilities.js';
import { InputError } from '../../src/errors.js';

const sorted = (caps: readonly string[]) => ALL_CAPS.filter((c) => caps.includes(c));

describe('normalizeCapName', () => {
  it.each([
    ['net_raw', 'CAP_NET_RAW'],
    ['CAP_NET_RAW', 'CAP_NET_RAW'],
    ['cap_sys_ptrace', 'CAP_SYS_PTRACE'],
    [' Sys_Admin ', 'CAP_SYS_ADMIN'],
    ['all', 'ALL'],
    ['ALL', 'ALL'],
  ])('%j -> %s', (given, want) => {
    expect(normalizeCapName(given, '--cap-add')).toBe(want);
  });

  it.each(['NET_RAWW', 'CAP_', '', 'CAP_ALL', 'cap_all', '13'])('refuses %j naming the flag and the name', (given) => {
    expect(() => normalizeCapName(given, '--cap-drop')).toThrow(InputError);
    expect(() => normalizeCapName(given, '--cap-drop')).toThrow(`unknown capability '${given}' in --cap-drop`);
  });
});

describe('resolveCapabilities', () => {
  it("without flags: Docker's default set, in capability order", () => {
    expect(resolveCapabilities()).toEqual(sorted(DOCKER_DEFAULT_CAPS));
    expect(resolveCapabilities()).toHaveLength(14);
  });

  it('drops and adds named ones; one both dropped and added is kept (added last)', () => {
    const caps = resolveCapabilities(['sys_ptrace', 'NET_ADMIN'], ['net_raw', 'CAP_MKNOD']);
    expect(caps).toEqual(
      sorted([
        ...DOCKER_DEFAULT_CAPS.filter((c) => c !== 'CAP_NET_RAW' && c !== 'CAP_MKNOD'),
        'CAP_SYS_PTRACE',
        'CAP_NET_ADMIN',
      ]),
    );
    expect(resolveCapabilities(['NET_RAW'], ['NET_RAW'])).toContain('CAP_NET_RAW');
  });

  it('--cap-drop ALL keeps only the added ones; --cap-add ALL gives all but the dropped ones, and wins over drop ALL', () => {
    expect(resolveCapabilities([], ['ALL'])).toEqual([]);
    expect(resolveCapabilities(['chown', 'kill'], ['all'])).toEqual(['CAP_CHOWN', 'CAP_KILL']);
    expect(resolveCapabilities(['ALL'])).toEqual([...ALL_CAPS]);
    expect(resolveCapabilities(['ALL'], ['SYS_ADMIN', 'net_raw'])).toEqual(
      ALL_CAPS.filter((c) => c !== 'CAP_SYS_ADMIN' && c !== 'CAP_NET_RAW'),
    );
    expect(resolveCapabilities(['ALL'], ['ALL'])).toEqual([...ALL_CAPS]);
  });

  it('refuses an unknown name in either list', () => {
    expect(() => resolveCapabilities(['NET_RAW', 'BOGUS'])).toThrow("unknown capability 'BOGUS' in --cap-add");
    expect(() => resolveCapabilities([], ['CAP_BOGUS'])).toThrow("unknown capability 'CAP_BOGUS' in --cap-drop");
  });
});

describe('capabilityMask', () => {
  it('is the CapEff bit mask of /proc/PID/status', () => {
    // podman's and Docker's default set shows as CapEff 00000000a80425fb (MKNOD 27, AUDIT_WRITE 29 included).
    expect(capabilityMask(resolveCapabilities()).toString(16)).toBe('a80425fb');
    expect(capabilityMask(['CAP_CHECKPOINT_RESTORE'])).toBe(1n << 40n);
    expect(capabilityMask([...ALL_CAPS])).toBe((1n << 41n) - 1n);
    expect(capabilityMask([])).toBe(0n);
  });
});
