// The default seccomp filter, from inside containers only (the attempts must never run on the
// host): a static program (test/fixtures/escape/syscall-attempts.c) tries what Docker's default
// profile refuses and what ordinary workloads need. Each refused attempt is also run unconfined,
// where the kernel answers something other than EPERM: so the EPERM is the filter's.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/container/index.js';
import type { SeccompChoice } from '../../src/container/seccomp/index.js';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { runCli } from '../fixtures/cli-process.js';
import { makeTestRoot, removeTestRoot, runCapture, type TestRoot } from './runtime-fixture.js';

const isRoot = process.getuid?.() === 0;
const SOURCE = path.join(import.meta.dirname, '..', 'fixtures', 'escape', 'syscall-attempts.c');

let t: TestRoot;
let runtime: Runtime;

beforeAll(async () => {
  if (!isRoot) return;
  t = await makeTestRoot('seccomp');
  const binary = path.join(t.root, 'syscall-attempts');
  execFileSync('cc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, SOURCE, '-lpthread']);
  await commitBusyboxImage(
    t.root,
    'attempts:1',
    { Env: ['PATH=/usr/bin:/bin'], Cmd: ['syscall-attempts'] },
    { files: [{ source: binary, target: '/usr/bin/syscall-attempts' }] },
  );
  runtime = await Runtime.open(t.root);
});

afterAll(async () => {
  if (runtime) await runtime.close();
  if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

/** Runs the attempts program; its `NAME RESULT` lines as a map. */
async function attempts(seccomp?: SeccompChoice): Promise<Map<string, string>> {
  const r = await runCapture(runtime, { image: 'attempts:1', remove: true, ...(seccomp ? { seccomp } : {}) });
  expect(r.exit.exitCode, r.stderr).toBe(0);
  return new Map(
    r.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' ', 2) as [string, string]),
  );
}

const REFUSED = [
  'unshare-userns',
  'clone-newuser',
  'add_key',
  'keyctl',
  'bpf',
  'perf_event_open',
  'personality-read-implies-exec',
];
const ALLOWED = ['personality-query', 'thread', 'fork', 'pipe', 'getppid'];

describe.skipIf(!isRoot)('the default seccomp filter (inside containers only)', () => {
  it('is on (Seccomp: 2) and refuses namespaces, keys, bpf, perf and personality changes with EPERM', async () => {
    const results = await attempts();
    expect(results.get('seccomp-mode')).toBe('2');
    for (const name of REFUSED) expect(`${name} ${results.get(name)}`).toBe(`${name} EPERM`);
    // The unshare failed, so its child never got to the mount.
    expect(results.has('mount-in-userns')).toBe(false);
    for (const name of ALLOWED) expect(`${name} ${results.get(name)}`).toBe(`${name} ok`);
  });

  it('unconfined: no filter, and none of the refusals above is the kernel saying EPERM on its own', async () => {
    const results = await attempts({ kind: 'unconfined' });
    expect(results.get('seccomp-mode')).toBe('0');
    for (const name of REFUSED) expect(`${name} ${results.get(name)}`).not.toBe(`${name} EPERM`);
    for (const name of ALLOWED) expect(`${name} ${results.get(name)}`).toBe(`${name} ok`);
  });

  it('applies a Docker JSON profile, and exec joins a container under its filter', async () => {
    const profile = path.join(t.root, 'profile.json');
    writeFileSync(
      profile,
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
      }),
    );
    const results = await attempts({ kind: 'profile', path: profile });
    expect(results.get('getppid')).toBe('EACCES');
    expect(results.get('bpf')).toBe('EINVAL');

    const handle = await runtime.run({ image: 'attempts:1', args: ['sleep', '60'], detach: true });
    try {
      const exec = await runtime.exec(handle.id, ['syscall-attempts'], { stdio: 'pipe' });
      expect(exec.stdout).toContain('seccomp-mode 2\n');
      expect(exec.stdout).toContain('bpf EPERM\n');
    } finally {
      await runtime.remove(handle.id, { force: true });
    }
  });

  it('CLI: --security-opt seccomp=unconfined runs without a filter; a bad profile exits 2 and creates nothing', async () => {
    const unconfined = await runCli(t.root, ['run', '--rm', '--security-opt', 'seccomp=unconfined', 'attempts:1']);
    expect(unconfined.code, unconfined.stderr).toBe(0);
    expect(unconfined.stdout).toContain('seccomp-mode 0\n');

    const bad = path.join(t.root, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_NOPE' }] }),
    );
    for (const opt of [`seccomp=${bad}`, `seccomp=${path.join(t.root, 'missing.json')}`, 'apparmor=unconfined']) {
      const r = await runCli(t.root, ['run', '--rm', '--security-opt', opt, 'attempts:1']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.split('\n')[0]).toMatch(
        /^isobench: (seccomp profile|cannot read the seccomp profile|unsupported --security-opt)/,
      );
    }
    expect(await runtime.list({ all: true })).toEqual([]);
  });
});
