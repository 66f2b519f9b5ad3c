// `isobench run --cap-add/--cap-drop`, `--security-opt no-new-privileges` and `--privileged`,
// through the real CLI, read back from inside the container (/proc/self/status, ping): the set a
// process gets is the one asked for, for `run` and for an `exec` into the container. Nothing here
// reaches the host: the container has no network but its own loopback.
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CAPS, capabilityMask, resolveCapabilities } from '../../src/container/capabilities.js';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { runCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { makeTestRoot, removeTestRoot, type TestRoot } from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;
/** The host's bounding set: a container can never hold more (this kind of host lacks CAP_SYS_RESOURCE). */
let hostBounding: bigint;

beforeAll(async () => {
  t = await makeTestRoot('caps');
  await commitBusyboxImage(t.root, 'caps:1', { Env: ['PATH=/bin'], Cmd: ['sh'] });
  const bnd = /^CapBnd:\s+([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  hostBounding = BigInt(`0x${bnd![1]}`);
});

afterAll(async () => {
  if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

const containers = async () => (await readdir(path.join(t.root, 'containers')).catch(() => [])).length;

/** The Cap* and NoNewPrivs lines of a status file, as numbers. */
function statusFields(text: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const m of text.matchAll(/^(Cap\w+|NoNewPrivs|Seccomp):\s+(\S+)$/gm)) {
    out[m[1]!] = m[1]!.startsWith('Cap') ? BigInt(`0x${m[2]}`) : BigInt(m[2]!);
  }
  return out;
}

/** Runs `cat /proc/self/status` in a new container with `flags`; its fields. */
async function statusOf(flags: string[]): Promise<Record<string, bigint>> {
  const r = await runCli(t.root, ['run', '--rm', ...flags, 'caps:1', 'cat', '/proc/self/status']);
  expect(r.code, r.stderr).toBe(0);
  return statusFields(r.stdout);
}

const expected = (add: string[], drop: string[] = []) => capabilityMask(resolveCapabilities(add, drop)) & hostBounding;

describe('run --cap-add / --cap-drop', () => {
  it("gives Docker's default set without flags, as bounding, permitted and effective set", async () => {
    const s = await statusOf([]);
    expect(s.CapEff).toBe(expected([]));
    expect(s.CapEff).toBe(0xa80425fbn);
    expect(s.CapBnd).toBe(s.CapEff);
    expect(s.CapPrm).toBe(s.CapEff);
    expect(s.CapInh).toBe(0n);
    expect(s.CapAmb).toBe(0n);
  });

  it('adds and drops Docker names in any case, with or without CAP_', async () => {
    const s = await statusOf(['--cap-add', 'sys_ptrace', '--cap-add', 'CAP_NET_ADMIN', '--cap-drop', 'Net_Raw']);
    expect(s.CapEff).toBe(expected(['SYS_PTRACE', 'NET_ADMIN'], ['NET_RAW']));
    expect(s.CapEff! & (1n << 13n)).toBe(0n); // CAP_NET_RAW
    expect(s.CapEff! & (1n << 19n)).not.toBe(0n); // CAP_SYS_PTRACE
    expect(s.CapBnd).toBe(s.CapEff);
  });

  it('--cap-drop ALL leaves nothing but what is added; --cap-add ALL everything the host has', async () => {
    expect((await statusOf(['--cap-drop', 'ALL'])).CapBnd).toBe(0n);
    const some = await statusOf(['--cap-drop', 'all', '--cap-add', 'KILL']);
    expect(some.CapEff).toBe(1n << 5n);
    const r = await runCli(t.root, ['run', '--rm', '--cap-add', 'ALL', 'caps:1', 'cat', '/proc/self/status']);
    expect(r.code, r.stderr).toBe(0);
    expect(statusFields(r.stdout).CapEff).toBe(capabilityMask([...ALL_CAPS]) & hostBounding);
    // A capability the host itself lacks is named in a warning, not silently missing.
    if ((hostBounding & (1n << 24n)) === 0n) expect(r.stderr).toContain('CAP_SYS_RESOURCE');
  });

  it('a non-root user gets the set as its bounding set only (as Docker)', async () => {
    const s = await statusOf(['--user', '1000', '--cap-add', 'SYS_PTRACE']);
    expect(s.CapBnd).toBe(expected(['SYS_PTRACE']));
    expect(s.CapEff).toBe(0n);
    expect(s.CapPrm).toBe(0n);
  });

  it('CAP_NET_RAW dropped: busybox ping cannot open its raw socket; kept: it reaches the loopback', async () => {
    const ping = ['busybox', 'ping', '-c', '1', '-W', '2', '127.0.0.1'];
    const withRaw = await runCli(t.root, ['run', '--rm', 'caps:1', ...ping]);
    expect(withRaw.code, withRaw.stderr).toBe(0);
    expect(withRaw.stdout).toContain('1 packets received');
    const without = await runCli(t.root, ['run', '--rm', '--cap-drop', 'NET_RAW', 'caps:1', ...ping]);
    expect(without.code).not.toBe(0);
    expect(without.stderr).toMatch(/permission denied|not permitted/i);
  });

  it('exec into the container gets the same set', async () => {
    const name = 'caps-exec';
    const started = await runCli(t.root, [
      'run',
      '-d',
      '--name',
      name,
      '--cap-drop',
      'ALL',
      '--cap-add',
      'CHOWN',
      'caps:1',
      'sleep',
      '60',
    ]);
    expect(started.code, started.stderr).toBe(0);
    try {
      const r = await runCli(t.root, ['exec', name, 'cat', '/proc/self/status']);
      expect(r.code, r.stderr).toBe(0);
      expect(statusFields(r.stdout).CapBnd).toBe(1n);
      expect(statusFields(r.stdout).CapEff).toBe(1n);
    } finally {
      await runCli(t.root, ['rm', '-f', name]);
    }
  });

  it.each([
    [['--cap-add', 'NOPE'], "unknown capability 'NOPE' in --cap-add"],
    [['--cap-drop', 'CAP_NET_RAWW'], "unknown capability 'CAP_NET_RAWW' in --cap-drop"],
    [['--privileged'], '--privileged is refused'],
    [['--security-opt', 'no-new-privileges=maybe'], 'no-new-privileges to be true or false'],
  ])('refuses %j with one line, exit 2, and creates nothing', async (flags, message) => {
    const r = await runCli(t.root, ['run', '--rm', ...flags, 'caps:1', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(await containers()).toBe(0);
  });
});

describe('run --security-opt no-new-privileges', () => {
  it('is on by default (NoNewPrivs: 1), under the default seccomp filter', async () => {
    const s = await statusOf([]);
    expect(s.NoNewPrivs).toBe(1n);
    expect(s.Seccomp).toBe(2n);
    expect((await statusOf(['--security-opt', 'no-new-privileges'])).NoNewPrivs).toBe(1n);
  });

  it('=false turns it off; the filter is still loaded (before the capabilities go), for run and exec', async () => {
    const s = await statusOf(['--security-opt', 'no-new-privileges=false']);
    expect(s.NoNewPrivs).toBe(0n);
    expect(s.Seccomp).toBe(2n);
    expect(s.CapEff).toBe(expected([]));
    const name = 'nnp-exec';
    const flags = ['--security-opt', 'no-new-privileges=false'];
    const started = await runCli(t.root, ['run', '-d', '--name', name, ...flags, 'caps:1', 'sleep', '60']);
    expect(started.code, started.stderr).toBe(0);
    try {
      const r = await runCli(t.root, ['exec', name, 'cat', '/proc/self/status']);
      expect(r.code, r.stderr).toBe(0);
      expect(statusFields(r.stdout).NoNewPrivs).toBe(0n);
      expect(statusFields(r.stdout).Seccomp).toBe(2n);
    } finally {
      await runCli(t.root, ['rm', '-f', name]);
    }
  });
});
