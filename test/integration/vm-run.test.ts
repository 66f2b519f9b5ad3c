// The VM target for real (QEMU, TCG here): a busybox image from a temp store boots with the Debian
// kernel, runs its workload, and reports output, exit code, env, workdir and isolation.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmRunCommand } from '../../src/cli/commands/vm-run.js';
import { type RootLayout, rootLayout } from '../../src/paths.js';
import { baseDiskPaths } from '../../src/vm/base-disk.js';
import { runVm } from '../../src/vm/index.js';
import { requireHost } from '../support/host.js';
import { buildVmBusyboxImage } from './vm-fixture.js';

await requireHost('root', 'qemu');

const run = promisify(execFile);
const APPLETS = ['sh', 'echo', 'cat', 'pwd', 'uname', 'id', 'ls', 'touch', 'env', 'sleep', 'true', 'false'];

/** Builds a one-layer busybox image "vmtest:busybox" in a fresh store under `root`. */
function buildBusyboxImage(root: string): Promise<string> {
  return buildVmBusyboxImage(root, {
    dirs: ['bin', 'etc', 'tmp', 'root', 'data'],
    applets: APPLETS,
    passwd: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n',
    group: 'root:x:0:\nnogroup:x:65534:\n',
    env: ['PATH=/bin', 'FROM_IMAGE=1'],
  });
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function collect(layout: RootLayout, args: string[], extra: Parameters<typeof runVm>[1] = { image: '' }) {
  let out = '';
  const result = await runVm(layout, { ...extra, image: 'vmtest:busybox', args, stdout: (c) => (out += c) });
  return { out, result };
}

describe('vm run (QEMU)', () => {
  let root: string;
  let layout: RootLayout;
  let digest: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-vm-'));
    layout = rootLayout(root);
    digest = await buildBusyboxImage(root);
  });

  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('prints the workload output and exit code 0 for echo hi', async () => {
    const { out, result } = await collect(layout, ['echo', 'hi']);
    expect(out).toBe('hi\n');
    expect(result.exitCode).toBe(0);
    expect(['kvm', 'tcg']).toContain(result.accel);
    expect(result.machine).toBe('microvm');
    const p = result.phases;
    // The per-launch host work, then QEMU; the exit marker arrives before QEMU exits (the guest
    // prints it, then syncs and powers off).
    expect(0).toBeLessThan(p.vmRecordNs);
    expect(p.vmRecordNs).toBeLessThan(p.diskOverlayNs);
    expect(p.diskOverlayNs).toBeLessThan(p.qemuStartNs);
    expect(p.readyNs).toBeGreaterThan(p.qemuStartNs);
    expect(p.exitNs).toBeGreaterThan(p.readyNs);
    expect(p.qemuExitNs).toBeGreaterThan(p.exitNs);
  });

  it('propagates a non-zero exit code', async () => {
    const { result } = await collect(layout, ['sh', '-c', 'exit 3']);
    expect(result.exitCode).toBe(3);
  });

  it('applies env (image + run) and the working directory', async () => {
    const { out } = await collect(layout, ['sh', '-c', 'echo "$FROM_IMAGE $EXTRA $(pwd)"'], {
      image: '',
      env: ['EXTRA=x y'],
      workdir: '/data',
    });
    expect(out).toBe('1 x y /data\n');
  });

  it('runs as the image user given by name', async () => {
    const { out } = await collect(layout, ['id', '-u'], { image: '', user: 'nobody' });
    expect(out).toBe('65534\n');
  });

  it('runs its own kernel, not the host one', async () => {
    const { out } = await collect(layout, ['uname', '-r']);
    expect(out.trim()).not.toBe('');
    expect(out.trim()).not.toBe(os.release());
  });

  it('hides the kernel command line (which carries the run nonce) from the workload', async () => {
    const { out } = await collect(layout, ['sh', '-c', 'cat /proc/cmdline; dmesg 2>/dev/null | grep -c isobench.cfg']);
    expect(out).not.toContain('isobench.cfg=');
    expect(out.trim()).toBe('0');
  });

  it('keeps two VMs of one image apart and the base disk unchanged', async () => {
    const { disk } = baseDiskPaths(layout, digest);
    const before = await sha256Of(disk);
    const first = await collect(layout, ['sh', '-c', 'echo one > /data/mark && cat /data/mark']);
    const second = await collect(layout, ['sh', '-c', 'cat /data/mark 2>/dev/null || echo absent']);
    expect(first.out).toBe('one\n');
    expect(second.out).toBe('absent\n');
    expect(await sha256Of(disk)).toBe(before);
  });

  it('vm run streams only the workload output and labels the accelerator', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const ctx = { root, layout, stdout, stderr, isTty: false };
    const code = await vmRunCommand(ctx, 'vmtest:busybox', ['sh', '-c', 'echo out; exit 5'], {
      rm: true,
      memory: '256m',
    });
    expect(code).toBe(5);
    expect(out).toBe('out\n');
    expect(err).toMatch(/^isobench: vm vmtest:busybox accel=(kvm|tcg) machine=microvm\n$/);
  });

  it('leaves no qemu process, overlay or socket behind', async () => {
    const { stdout } = await run('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((line) => line.includes(root))).toEqual([]);
    expect(await fs.readdir(path.join(layout.vm, 'vms')).catch(() => [])).toEqual([]);
  });
});
