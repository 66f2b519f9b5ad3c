// Prepares the guest kernel files in the cache: the bzImage (q35) and the uncompressed ELF vmlinux
// (microvm boots it through PVH), keyed by package version and .deb SHA256.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IntegrityError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { withLock } from '../util/lock.js';
import { ensureKernelPackage, type KernelPackage, withUnpackedKernel } from './kernel-package.js';
import { extractVmlinux } from './vmlinux.js';

/** A kernel ready to boot. */
export interface PreparedKernel {
  package: KernelPackage;
  /** `uname -r` inside the guest, e.g. 6.1.0-56-amd64. */
  release: string;
  /** The compressed bzImage, for q35. */
  bzImagePath: string;
  /** The uncompressed ELF, for microvm (PVH). */
  vmlinuxPath: string;
}

interface KernelMeta {
  release: string;
}

/** Finds the single kernel release under a package tree's lib/modules. */
export async function findKernelRelease(tree: string): Promise<string> {
  const releases = await fs.readdir(path.join(tree, 'lib', 'modules')).catch(() => [] as string[]);
  if (releases.length !== 1) {
    throw new IntegrityError(`expected one kernel release in the package, found ${releases.length}`);
  }
  return releases[0]!;
}

/** Fetches (once) and prepares the kernel of Debian package `packageName`; safe to call concurrently. */
export async function prepareKernel(layout: RootLayout, packageName: string): Promise<PreparedKernel> {
  return withLock(
    layout.locks,
    'vm-kernel',
    async () => {
      const pkg = await ensureKernelPackage(layout, packageName);
      const metaFile = path.join(pkg.dir, 'kernel.json');
      const bzImagePath = path.join(pkg.dir, 'vmlinuz');
      const vmlinuxPath = path.join(pkg.dir, 'vmlinux');
      const meta = await fs
        .readFile(metaFile, 'utf8')
        .then((text) => JSON.parse(text) as KernelMeta)
        .catch(() => undefined);
      if (meta) return { package: pkg, release: meta.release, bzImagePath, vmlinuxPath };
      const release = await withUnpackedKernel(layout, pkg, async (tree) => {
        const found = await findKernelRelease(tree);
        const tmpImage = `${bzImagePath}.tmp`;
        await fs.copyFile(path.join(tree, 'boot', `vmlinuz-${found}`), tmpImage);
        await fs.rename(tmpImage, bzImagePath);
        return found;
      });
      const tmpElf = `${vmlinuxPath}.tmp`;
      await extractVmlinux(bzImagePath, tmpElf);
      await fs.rename(tmpElf, vmlinuxPath);
      // kernel.json last: its presence says both files are complete.
      await writeJsonAtomic(metaFile, { release } satisfies KernelMeta);
      return { package: pkg, release, bzImagePath, vmlinuxPath };
    },
    600_000,
  );
}
