// Snapshot restore for real (QEMU, TCG here): one boot of the stock guest to the snapshot point,
// saved, then guests restored from it. Each restored guest must get its own nonce and run id (its
// hostname is its VM id) after the restore, write to its own disk only, and the second restore must
// reuse the saved files, not take them again. Bad input gives one line and exit 2.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_STATUS } from '../../src/errors.js';
import { type RootLayout, rootLayout } from '../../src/paths.js';
import { type RestoredVmRunResult, removeVm, runRestoredVm } from '../../src/vm/index.js';
import { listSnapshots, snapshotPaths } from '../../src/vm/snapshot-store.js';
import { vmPaths } from '../../src/vm/vm-state.js';
import { runCliInProcess } from '../fixtures/cli-in-process.js';
import { buildVmBusyboxImage } from '../integration/vm-fixture.js';
import { requireHost } from '../support/host.js';

await requireHost('root', 'qemu');

const run = promisify(execFile);
const APPLETS = ['sh', 'echo', 'cat', 'hostname', 'ls', 'sync', 'grep'];
/** The convention for guest tests: room for whatever the guest runs. */
const MEMORY_MIB = 2048;
const TIMEOUT_MS = 300_000;
/** The guest restored (Debian's kernel: the minimal one's build takes minutes on a cold cache), and another one. */
const KERNEL = { variant: 'stock', definition: 'default' } as const;
const OTHER = { variant: 'minimal', definition: 'minimal' } as const;

/** The nonce in a run's exit marker (its serial tail), the one the host parsed the run with. */
function exitNonce(result: RestoredVmRunResult): string | undefined {
  for (const line of result.serialTail) {
    const match = /ISOBENCH-EXIT ([0-9a-f]{16}) /.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** Whether `file` holds the bytes of `text` anywhere (a qcow2 stores file data as is). */
async function fileContains(file: string, text: string): Promise<boolean> {
  return (await fs.readFile(file)).includes(Buffer.from(text));
}

describe(`VM snapshot restore (${KERNEL.variant} kernel, TCG)`, () => {
  let root: string;
  let layout: RootLayout;
  const kept: string[] = [];

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-vm-snapshot-'));
    layout = rootLayout(root);
    await buildVmBusyboxImage(root, {
      dirs: ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev'],
      applets: APPLETS,
      passwd: 'root:x:0:0:root:/root:/bin/sh\n',
      env: ['PATH=/bin'],
    });
  }, 600_000);

  afterAll(async () => {
    for (const id of kept) await removeVm(layout, id, true).catch(() => undefined);
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  async function restore(script: string): Promise<{ result: RestoredVmRunResult; out: string }> {
    let out = '';
    const result = await runRestoredVm(layout, {
      image: 'vmtest:busybox',
      args: ['sh', '-c', script],
      definition: KERNEL.definition,
      memoryMiB: MEMORY_MIB,
      fromSnapshot: 'auto',
      keep: true,
      timeoutMs: TIMEOUT_MS,
      stdout: (chunk) => (out += chunk),
    });
    kept.push(result.id);
    return { result, out };
  }

  it(
    'restores guests from one snapshot, each with its own nonce, run id and disk; the snapshot is reused',
    async () => {
      // The first restore takes the snapshot; this guest writes a file and syncs it to its disk.
      const a = await restore('hostname; echo secret-of-a > /written-by-a; sync; cat /written-by-a');
      expect(a.result.snapshotCreated).toBe(true);
      expect(a.result.exitCode).toBe(0);
      expect(a.out).toBe(`${a.result.id}\nsecret-of-a\n`);
      const [snapshot] = await listSnapshots(layout);
      expect(snapshot?.id).toBe(a.result.snapshotId);
      const files = snapshotPaths(layout, snapshot!.id);
      const before = await Promise.all([files.ram, files.state, files.disk].map((f) => fs.stat(f)));

      // Two more at once from the same files. The kernel caches are dropped so a shared disk
      // would show a's file; the guest's own view is checked, then the disks on the host.
      const check = 'hostname; echo 3 > /proc/sys/vm/drop_caches; ls / | grep -c written-by-a; exit 0';
      const [b, c] = await Promise.all([restore(check), restore(check)]);
      for (const other of [b, c]) {
        expect(other.result.snapshotCreated).toBe(false);
        expect(other.result.snapshotId).toBe(snapshot!.id);
        expect(other.result.exitCode).toBe(0);
        expect(other.out).toBe(`${other.result.id}\n0\n`);
      }
      const runs = [a, b, c].map((r) => r.result);
      expect(new Set(runs.map((r) => r.id)).size).toBe(3);
      const nonces = runs.map(exitNonce);
      expect(nonces.every((n) => n !== undefined)).toBe(true);
      expect(new Set(nonces).size).toBe(3);

      // Reused, not taken again: the same files, untouched.
      const after = await Promise.all([files.ram, files.state, files.disk].map((f) => fs.stat(f)));
      expect(after.map((s) => [s.ino, s.mtimeMs])).toEqual(before.map((s) => [s.ino, s.mtimeMs]));
      expect(await listSnapshots(layout)).toHaveLength(1);

      // a's write is in a's overlay only: not in the others', not in the snapshot's disk.
      expect(await fileContains(vmPaths(layout, a.result.id).overlay, 'secret-of-a')).toBe(true);
      expect(await fileContains(vmPaths(layout, b.result.id).overlay, 'secret-of-a')).toBe(false);
      expect(await fileContains(vmPaths(layout, c.result.id).overlay, 'secret-of-a')).toBe(false);
      expect(await fileContains(files.disk, 'secret-of-a')).toBe(false);
    },
    TIMEOUT_MS * 3,
  );

  it('refuses an unknown snapshot and one taken with another kernel: one line, exit 2', async () => {
    const unknown = await runCliInProcess(root, [
      'vm',
      'run',
      '--rm',
      '--kernel',
      KERNEL.variant,
      '--from-snapshot',
      'ffffffff',
      'vmtest:busybox',
      'true',
    ]);
    expect(unknown.status).toBe(EXIT_STATUS.INPUT);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/no snapshot 'ffffffff'.*--from-snapshot auto/);

    const [snapshot] = await listSnapshots(layout);
    const otherKernel = await runCliInProcess(root, [
      'vm',
      'run',
      '--rm',
      '--memory',
      `${MEMORY_MIB}m`,
      '--kernel',
      OTHER.variant,
      '--from-snapshot',
      snapshot!.id,
      'vmtest:busybox',
      'true',
    ]);
    expect(otherKernel.status).toBe(EXIT_STATUS.INPUT);
    expect(otherKernel.stderr.trim().split('\n')).toHaveLength(1);
    expect(otherKernel.stderr).toContain(
      `snapshot ${snapshot!.id} was taken with kernel (VM definition) ${KERNEL.definition}, this run asks for ${OTHER.definition}`,
    );
  }, 600_000);

  it('leaves no qemu process, VM dir or staging dir behind', async () => {
    for (const id of kept.splice(0)) await removeVm(layout, id, true);
    const { stdout } = await run('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((line) => line.includes(root))).toEqual([]);
    expect(await fs.readdir(path.join(layout.vm, 'vms')).catch(() => [])).toEqual([]);
    expect((await fs.readdir(layout.tmp).catch(() => [] as string[])).filter((e) => e.startsWith('vm-'))).toEqual([]);
  });
});
