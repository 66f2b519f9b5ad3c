// The minimal guest kernel for real (QEMU, TCG here): built from linux-source-6.1 with
// vm-images/minimal.config into the shared cache (minutes when the cache is cold; set-up builds it
// first), booted without an initramfs with the image disk as root, and found again by content key.
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmRunCommand } from '../../src/cli/commands/vm-run.js';
import { ImageStore } from '../../src/image/store.js';
import { type RootLayout, rootLayout } from '../../src/paths.js';
import type { Instance } from '../../src/targets/types.js';
import { VmTarget } from '../../src/targets/vm.js';
import { isBuiltKernel, loadVmDefinition } from '../../src/vm/definition.js';
import { prepareBareQemuCommand, runVm } from '../../src/vm/index.js';
import {
  type BuiltKernel,
  ensureDefinitionKernel,
  kernelBuildKey,
  resolveDefinitionKernel,
} from '../../src/vm/kernel-build.js';
import { parseDotConfig, parseKconfigFragment } from '../../src/vm/kernel-fragment.js';
import { ensureProbeBuilt, probeWorkload } from './targets-fixture.js';
import { buildVmBusyboxImage } from './vm-fixture.js';

const run = promisify(execFile);
const APPLETS = ['sh', 'echo', 'cat', 'uname', 'ls', 'true', 'mkdir', 'mount', 'cut'];

/** "vmtest:node": this Node binary and the shared libraries it loads (ldd), nothing else. */
async function buildNodeImage(root: string): Promise<void> {
  const { stdout } = await run('ldd', [process.execPath]);
  const libs = [...stdout.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
  const rootfs = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-vm-node-'));
  try {
    await fs.mkdir(path.join(rootfs, 'tmp'));
    await fs.mkdir(path.join(rootfs, 'etc'));
    // "localhost" from files only (glibc's files backend is built in): no DNS in the guest.
    await fs.writeFile(path.join(rootfs, 'etc', 'nsswitch.conf'), 'hosts: files\n');
    await fs.writeFile(path.join(rootfs, 'etc', 'hosts'), '127.0.0.1 localhost\n::1 localhost\n');
    await fs.copyFile(process.execPath, path.join(rootfs, 'node'));
    for (const lib of libs) {
      await fs.mkdir(path.join(rootfs, path.dirname(lib)), { recursive: true });
      await fs.copyFile(await fs.realpath(lib), path.join(rootfs, lib));
    }
    const store = await ImageStore.open(root);
    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-cf', '-', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const layer = await store.addLayer(tar.stdout!);
    await store.commitImage({
      config: {
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/'], Cmd: ['/node'] },
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      },
      layers: [layer],
      ref: 'vmtest:node',
    });
  } finally {
    await fs.rm(rootfs, { recursive: true, force: true });
  }
}

async function minimalSpec() {
  const definition = await loadVmDefinition('minimal');
  if (!isBuiltKernel(definition.kernel)) throw new Error('vm-images/minimal.yaml must build its kernel');
  return definition.kernel;
}

describe('minimal guest kernel (built from source)', () => {
  let root: string;
  let layout: RootLayout;
  let kernel: BuiltKernel;
  const instances: Instance[] = [];

  beforeAll(async () => {
    ensureProbeBuilt();
    // A cold cache builds the kernel here (minutes); set-up builds it first, so this is a hit.
    kernel = await ensureDefinitionKernel(await minimalSpec(), {
      log: (line) => process.stderr.write(`minimal kernel: ${line}\n`),
    });
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-vm-minimal-'));
    layout = rootLayout(root);
    // No /proc, /sys or /dev in this image: the disk-root init must make its own mount points.
    await buildVmBusyboxImage(root, {
      dirs: ['bin', 'etc', 'tmp'],
      applets: APPLETS,
      passwd: 'root:x:0:0:root:/root:/bin/sh\n',
      env: ['PATH=/bin'],
    });
  }, 7_200_000);

  afterAll(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.dispose()));
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  async function guest(args: string[]): Promise<{ out: string; exitCode: number; release: string }> {
    let out = '';
    const result = await runVm(layout, {
      image: 'vmtest:busybox',
      args,
      definition: 'minimal',
      stdout: (chunk) => (out += chunk),
    });
    return { out, exitCode: result.exitCode, release: result.kernelRelease };
  }

  it('is a cache hit the second time, keyed by the fragment content', async () => {
    const spec = await minimalSpec();
    const again = await ensureDefinitionKernel(spec);
    expect(again.cacheHit).toBe(true);
    expect(again.vmlinuxPath).toBe(kernel.vmlinuxPath);
    expect(again.meta.key).toBe(kernel.meta.key);
    const inputs = await resolveDefinitionKernel(spec);
    expect(kernelBuildKey(inputs)).toBe(kernel.meta.key);
    // One option more changes the key (and so the entry a build would make).
    const changed = parseKconfigFragment('x.config', `${kernel.meta.fragment}CONFIG_KSM=y\n`);
    expect(kernelBuildKey({ ...inputs, settings: changed })).not.toBe(kernel.meta.key);
  });

  it('was built with no module loader and no initramfs support', async () => {
    const config = parseDotConfig(await fs.readFile(kernel.configPath, 'utf8'));
    expect(config.get('CONFIG_MODULES') ?? 'n').toBe('n');
    expect(config.get('CONFIG_BLK_DEV_INITRD') ?? 'n').toBe('n');
    expect(config.get('CONFIG_PVH')).toBe('y');
  });

  it('boots the probe image through the vm target: ready, then exit code 3', async () => {
    const target = new VmTarget({ root, definition: 'minimal', timeoutMs: 120_000 });
    expect(target.variant()).toBe('minimal');
    await target.prepare(probeWorkload(['exit=0']));
    const instance = await target.launch(probeWorkload(['ready', 'exit=3']));
    instances.push(instance);
    const readyNs = await instance.ready;
    const exit = await instance.exited;
    expect(exit.exitCode).toBe(3);
    expect(readyNs).toBeGreaterThan(instance.launchedAtNs);
    expect(instance.outputLines().some((line) => line.startsWith('ISOBENCH-READY '))).toBe(true);
    await instance.dispose();
  });

  it('runs its own kernel, named after the build, not the host one', async () => {
    const { out, exitCode, release } = await guest(['uname', '-r']);
    expect(exitCode).toBe(0);
    expect(out.trim()).toBe(kernel.meta.release);
    expect(release).toBe(kernel.meta.release);
    expect(out.trim()).toContain(`-isobench-${kernel.meta.key.slice(0, 12)}`);
    expect(out.trim()).not.toBe(os.release());
  });

  it('mounts its root straight from the virtio-blk disk and runs init from it', async () => {
    const { out, exitCode } = await guest(['sh', '-c', 'cat /proc/mounts; echo; cat /proc/1/cmdline | tr "\\0" " "']);
    expect(exitCode).toBe(0);
    const [mounts, pid1] = out.split('\n\n');
    const rootMount = mounts!.split('\n').find((line) => line.split(' ')[1] === '/');
    // Without an initramfs the kernel itself mounted the disk ("/dev/root" is its name for it).
    expect(rootMount).toMatch(/^\/dev\/(root|vda) \/ ext4 rw,noatime/);
    expect(mounts).not.toMatch(/^rootfs /m);
    expect(pid1!.trim()).toBe('/.isobench/bin/busybox sh /.isobench/init');
  });

  it('has what a container runtime needs: every namespace, overlayfs, cgroup v1 and v2 controllers, /proc/sys', async () => {
    const { out, exitCode } = await guest([
      'sh',
      '-c',
      'ls /proc/self/ns; echo =; cat /proc/filesystems; echo =; cut -f1 /proc/cgroups; echo =; ' +
        'mkdir -p /cg && mount -t cgroup2 none /cg && cat /cg/cgroup.controllers; echo =; ls /proc/sys',
    ]);
    expect(exitCode).toBe(0);
    const [ns, filesystems, v1, v2, sys] = out.split('=\n').map((part) => part.split(/\s+/).filter(Boolean));
    for (const name of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']) expect(ns).toContain(name);
    for (const fs of [
      'overlay',
      'cgroup',
      'cgroup2',
      'ext4',
      'erofs',
      '9p',
      'tmpfs',
      'devpts',
      'mqueue',
      'hugetlbfs',
    ]) {
      expect(filesystems).toContain(fs);
    }
    // /proc/cgroups lists every controller built in, by its v1 name (io is blkio there).
    for (const c of [
      'cpuset',
      'cpu',
      'cpuacct',
      'blkio',
      'memory',
      'devices',
      'freezer',
      'pids',
      'hugetlb',
      'rdma',
      'misc',
    ]) {
      expect(v1).toContain(c);
    }
    for (const c of ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']) expect(v2).toContain(c);
    expect(sys).toEqual(expect.arrayContaining(['kernel', 'net', 'vm']));
  });

  it('vm run --kernel minimal boots it and returns the exit code', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const ctx = { root, layout, stdout, stderr, isTty: false };
    const code = await vmRunCommand(ctx, 'vmtest:busybox', ['sh', '-c', 'uname -r; exit 7'], {
      rm: true,
      kernel: 'minimal',
    });
    expect(code).toBe(7);
    expect(out).toBe(`${kernel.meta.release}\n`);
    expect(err).toMatch(/^isobench: vm vmtest:busybox accel=(kvm|tcg) machine=microvm kernel=minimal\n$/);
  });

  it('runs Node.js 20 (the test runner binary): threads, timers, inotify, sockets, getrandom', async () => {
    await buildNodeImage(root);
    // Each line exercises a kernel facility Node needs: futex (worker), timerfd/epoll (timers),
    // inotify (fs.watch), TCP on loopback (IPv6 first for "localhost"), getrandom (crypto).
    const script = [
      "const { Worker } = require('node:worker_threads');",
      "const fs = require('node:fs'); const net = require('node:net'); const crypto = require('node:crypto');",
      'const w = new Worker(\'require("node:worker_threads").parentPort.postMessage(6*7)\', { eval: true });',
      'w.on("message", (n) => {',
      '  const watcher = fs.watch("/tmp", () => {});',
      '  watcher.close();',
      '  const server = net.createServer((s) => s.end("pong")).listen(0, "localhost", () => {',
      '    net.connect(server.address().port, "localhost").on("data", (d) => {',
      '      console.log(process.version, n, String(d), crypto.randomBytes(4).length);',
      '      server.close(); w.terminate();',
      '    });',
      '  });',
      '});',
    ].join(' ');
    let out = '';
    const result = await runVm(layout, {
      image: 'vmtest:node',
      args: ['/node', '-e', script],
      definition: 'minimal',
      stdout: (chunk) => (out += chunk),
    });
    expect(result.exitCode).toBe(0);
    expect(out).toBe(`${process.version} 42 pong 4\n`);
  });

  it('hands out its exact QEMU command: run bare, it boots the same guest to ready and exit', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-vm-bare-'));
    try {
      const launch = { image: 'vmtest:busybox', args: ['sh', '-c', 'echo bare; exit 5'], definition: 'minimal' };
      const command = await prepareBareQemuCommand(layout, launch, dir);
      expect(path.basename(command.argv[0]!)).toBe('qemu-system-x86_64');
      expect(command.argv).toContain(kernel.vmlinuxPath);
      expect(command.argv.some((arg) => arg.includes(command.overlayPath))).toBe(true);
      await fs.access(command.overlayPath);
      const child = spawn(command.argv[0]!, command.argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let serial = '';
      child.stdout!.on('data', (chunk: Buffer) => (serial += chunk.toString()));
      child.stderr!.resume();
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      expect(code).toBe(0);
      const lines = serial.replace(/\r/g, '').split('\n');
      const ready = lines.findIndex((line) => line.startsWith(command.readyMarker));
      expect(ready).toBeGreaterThan(-1);
      expect(lines.slice(ready + 1, ready + 3)).toEqual(['bare', `${command.exitMarkerPrefix}5`]);
      // A second command is a fresh launch: its own nonce (markers) and overlay.
      const again = await prepareBareQemuCommand(layout, launch, await fs.mkdtemp(path.join(dir, 'again-')));
      expect(again.readyMarker).not.toBe(command.readyMarker);
      expect(again.overlayPath).not.toBe(command.overlayPath);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('tells the caller when the guest is ready, before the workload output', async () => {
    const events: string[] = [];
    const result = await runVm(layout, {
      image: 'vmtest:busybox',
      args: ['echo', 'after'],
      definition: 'minimal',
      onReady: () => events.push('ready'),
      stdout: (chunk) => events.push(chunk),
    });
    expect(result.exitCode).toBe(0);
    expect(events).toEqual(['ready', 'after\n']);
  });

  it('leaves no qemu process or VM dir behind', async () => {
    const { stdout } = await run('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((line) => line.includes(root))).toEqual([]);
    expect(await fs.readdir(path.join(layout.vm, 'vms')).catch(() => [])).toEqual([]);
  });
});
