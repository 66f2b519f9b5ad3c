// Shared set-up of the VM integration tests: a one-layer busybox image "vmtest:busybox" in a fresh
// store, packed with the system tar (numeric owners) as the VM disk builder expects any layer.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImageStore } from '../../src/image/store.js';

/** What differs between the VM tests' busybox images. */
export interface VmBusyboxImageOptions {
  /** Top-level dirs to create (bin and etc are needed). */
  dirs: string[];
  /** Applets linked to /bin/busybox. */
  applets: string[];
  /** /etc/passwd content. */
  passwd: string;
  /** /etc/group content; none when undefined. */
  group?: string;
  /** The image config's Env. */
  env: string[];
}

/** Builds "vmtest:busybox" in the store under `root`; returns its manifest digest. */
export async function buildVmBusyboxImage(root: string, options: VmBusyboxImageOptions): Promise<string> {
  const rootfs = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-vm-rootfs-'));
  try {
    for (const dir of options.dirs) await fs.mkdir(path.join(rootfs, dir));
    await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
    await fs.chmod(path.join(rootfs, 'bin', 'busybox'), 0o755);
    for (const applet of options.applets) await fs.symlink('busybox', path.join(rootfs, 'bin', applet));
    await fs.writeFile(path.join(rootfs, 'etc', 'passwd'), options.passwd);
    if (options.group !== undefined) await fs.writeFile(path.join(rootfs, 'etc', 'group'), options.group);
    const store = await ImageStore.open(root);
    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-cf', '-', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const layer = await store.addLayer(tar.stdout!);
    const image = await store.commitImage({
      config: {
        architecture: 'amd64',
        os: 'linux',
        config: { Env: options.env, Cmd: ['echo', 'hi'] },
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      },
      layers: [layer],
      ref: 'vmtest:busybox',
    });
    return image.digest;
  } finally {
    await fs.rm(rootfs, { recursive: true, force: true });
  }
}
