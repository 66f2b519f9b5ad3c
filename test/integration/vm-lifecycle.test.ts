// VM lifecycle for real (QEMU, TCG here): timeouts kill QEMU, a killed owner leaves nothing gc
// cannot collect, detached VMs start/stop/remove, and a corrupt cached disk is rebuilt.
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/errors.js';
import { packageDir, type RootLayout, rootLayout } from '../../src/paths.js';
import { baseDiskPaths } from '../../src/vm/base-disk.js';
import { gcVms, listVms, removeVm, runVm, startVm, stopVm } from '../../src/vm/index.js';
import { requireHost } from '../support/host.js';
import { buildVmBusyboxImage } from './vm-fixture.js';

await requireHost('root', 'qemu');

const run = promisify(execFile);

function buildBusyboxImage(root: string): Promise<string> {
  return buildVmBusyboxImage(root, {
    dirs: ['bin', 'etc', 'tmp'],
    applets: ['sh', 'echo', 'sleep'],
    passwd: 'root:x:0:0:root:/root:/bin/sh\n',
    env: ['PATH=/bin'],
  });
}

/** QEMU processes whose command line mentions `root`. */
async function qemuProcessesUnder(root: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid,args']);
  return stdout.split('\n').filter((line) => line.includes('qemu-system') && line.includes(root));
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe('vm lifecycle (QEMU)', () => {
  let root: string;
  let layout: RootLayout;
  let digest: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-vm-'));
    layout = rootLayout(root);
    digest = await buildBusyboxImage(root);
    await runVm(layout, { image: 'vmtest:busybox' }); // warms the kernel, initramfs and disk caches
  });

  afterEach(async () => {
    for (const vm of await listVms(layout)) await removeVm(layout, vm.id, true);
  });

  afterAll(async () => {
    for (const line of await qemuProcessesUnder(root)) process.kill(Number.parseInt(line.trim(), 10), 'SIGKILL');
    await fs.rm(root, { recursive: true, force: true });
  });

  it('kills QEMU on a timeout and reports the serial tail', async () => {
    // Long enough for a TCG boot on a loaded 2-core machine (~2 s quiet), far shorter than the workload.
    const error = await runVm(layout, { image: 'vmtest:busybox', args: ['sleep', '600'], timeoutMs: 20_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/timed out after 20000 ms: the workload did not finish/);
    expect((error as Error).message).toMatch(/ISOBENCH-PHASE [0-9a-f]+ ready/);
    expect(await qemuProcessesUnder(root)).toEqual([]);
    expect(await fs.readdir(path.join(layout.vm, 'vms'))).toEqual([]);
  });

  it('kills QEMU when the guest never gets ready in time', async () => {
    const error = await runVm(layout, { image: 'vmtest:busybox', timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/the guest never got ready; QEMU killed/);
    expect(await qemuProcessesUnder(root)).toEqual([]);
    expect(await fs.readdir(path.join(layout.vm, 'vms'))).toEqual([]);
  });

  it('kills QEMU with its owner (SIGKILL) and gc removes what is left', async () => {
    const script = path.join(root, 'owner.ts');
    await fs.writeFile(
      script,
      `import { rootLayout } from '${path.join(packageDir(), 'src', 'paths.ts')}';\n` +
        `import { runVm } from '${path.join(packageDir(), 'src', 'vm', 'index.ts')}';\n` +
        `await runVm(rootLayout(${JSON.stringify(root)}), { image: 'vmtest:busybox', args: ['sleep', '60'] });\n`,
    );
    const owner = spawn(
      process.execPath,
      [path.join(packageDir(), 'node_modules', 'vite-node', 'vite-node.mjs'), script],
      {
        stdio: 'ignore',
      },
    );
    expect(await waitFor(async () => (await qemuProcessesUnder(root)).length === 1, 60_000)).toBe(true);
    owner.kill('SIGKILL');
    expect(await waitFor(async () => (await qemuProcessesUnder(root)).length === 0, 10_000)).toBe(true);
    const leftovers = await fs.readdir(path.join(layout.vm, 'vms'));
    expect(leftovers).toHaveLength(1);
    const report = await gcVms(layout);
    expect(report.removedVms).toEqual(leftovers);
    expect(await fs.readdir(path.join(layout.vm, 'vms'))).toEqual([]);
  });

  it('starts, lists, stops and removes a detached VM', async () => {
    const state = await startVm(layout, { image: 'vmtest:busybox', args: ['sleep', '60'], name: 'bg' });
    expect(state.status).toBe('running');
    expect((await listVms(layout)).map((vm) => [vm.name, vm.status])).toEqual([['bg', 'running']]);
    const stopped = await stopVm(layout, 'bg');
    expect(stopped?.status).toBe('exited');
    expect(await qemuProcessesUnder(root)).toEqual([]);
    await removeVm(layout, 'bg');
    expect(await listVms(layout)).toEqual([]);
  });

  it('records the exit code of a detached VM that finishes', async () => {
    await startVm(layout, { image: 'vmtest:busybox', args: ['sh', '-c', 'exit 4'], name: 'done' });
    expect(await waitFor(async () => (await listVms(layout))[0]?.status === 'exited', 60_000)).toBe(true);
    expect((await listVms(layout))[0]?.exitCode).toBe(4);
  });

  it('detects a corrupt cached base disk and rebuilds it', async () => {
    const { disk } = baseDiskPaths(layout, digest);
    const handle = await fs.open(disk, 'r+');
    await handle.write(Buffer.alloc(4096, 0xff), 0, 4096, 1024); // the ext4 superblock
    await handle.close();
    let out = '';
    const result = await runVm(layout, { image: 'vmtest:busybox', stdout: (c) => (out += c) });
    expect(result.exitCode).toBe(0);
    expect(out).toBe('hi\n');
  });
});
