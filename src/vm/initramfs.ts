// Builds the guest initramfs (busybox-static, the needed kernel modules, /init) and caches it by a
// hash of everything that goes into it, so it is built once per kernel/definition/init version.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { EnvironmentError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { writeFileAtomic } from '../util/atomic.js';
import { withLock } from '../util/lock.js';
import { type CpioEntry, writeCpioNewc } from './cpio-newc.js';
import { busModuleFor, type VmDefinition, type VmMachine } from './definition.js';
import { renderGuestInit, renderGuestLauncher } from './guest-init.js';
import type { PreparedKernel } from './kernel.js';
import { collectModules, type PreparedModule } from './kernel-modules.js';
import { withUnpackedKernel } from './kernel-package.js';
import { SETUP_HINT } from './tools.js';

/** Where the guest's busybox comes from (Debian busybox-static). */
export const BUSYBOX_PATH = '/bin/busybox';

/** Bump when the layout of the initramfs changes in a way the inputs below do not capture. */
const FORMAT_VERSION = 2;

/** The module names to load for `machine`: the bus driver first, then the definition's list. */
export function initramfsModuleRoots(definition: VmDefinition, machine: VmMachine): string[] {
  return [busModuleFor(machine), ...definition.modules];
}

/** The busybox applets /init calls by name (each a symlink to busybox in /bin). */
export const INIT_APPLETS = [
  'mount',
  'sed',
  'base64',
  'poweroff',
  'reboot',
  'sync',
  'insmod',
  'ip',
  'usleep',
  'mkdir',
  'hostname',
  'awk',
  'cat',
  'ln',
];

/** Modules loaded only when the VM has a network (virtio-net). */
export const NETWORK_MODULE_ROOTS = ['virtio_net'];

/** The archive members, in order (parents first). `netModules` load after `modules`, on demand. Pure. */
export function buildInitramfsEntries(
  busybox: Uint8Array,
  modules: PreparedModule[],
  netModules: PreparedModule[] = [],
): CpioEntry[] {
  const dirs = ['bin', 'dev', 'proc', 'sys', 'mnt', 'lib', 'lib/modules', 'isobench'];
  return [
    ...dirs.map((dir): CpioEntry => ({ kind: 'dir', path: dir, mode: 0o755 })),
    { kind: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    { kind: 'file', path: 'bin/busybox', mode: 0o755, data: busybox },
    ...['sh', ...INIT_APPLETS].map(
      (applet): CpioEntry => ({ kind: 'symlink', path: `bin/${applet}`, target: 'busybox' }),
    ),
    { kind: 'file', path: 'init', mode: 0o755, data: Buffer.from(renderGuestInit('initramfs')) },
    { kind: 'file', path: 'isobench/launch.sh', mode: 0o644, data: Buffer.from(renderGuestLauncher('initramfs')) },
    ...[...modules, ...netModules].map(
      (mod): CpioEntry => ({ kind: 'file', path: `lib/modules/${mod.name}.ko`, mode: 0o644, data: mod.data }),
    ),
    { kind: 'file', path: 'lib/modules/load-order', mode: 0o644, data: listNames(modules) },
    { kind: 'file', path: 'lib/modules/load-order-net', mode: 0o644, data: listNames(netModules) },
  ];
}

function listNames(modules: PreparedModule[]): Buffer {
  return Buffer.from(modules.map((mod) => `${mod.name}\n`).join(''));
}

async function readBusybox(): Promise<Buffer> {
  try {
    return await fs.readFile(BUSYBOX_PATH);
  } catch {
    throw new EnvironmentError(`${BUSYBOX_PATH} not found: the VM guest needs busybox-static`, { hint: SETUP_HINT });
  }
}

/** Returns the path of the cached initramfs for this kernel, definition and machine; builds it if missing. */
export async function prepareInitramfs(
  layout: RootLayout,
  definition: VmDefinition,
  kernel: PreparedKernel,
  machine: VmMachine,
): Promise<string> {
  const busybox = await readBusybox();
  const roots = initramfsModuleRoots(definition, machine);
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        FORMAT_VERSION,
        deb: kernel.package.debSha256,
        roots,
        net: NETWORK_MODULE_ROOTS,
        applets: INIT_APPLETS,
        init: renderGuestInit('initramfs'),
        launcher: renderGuestLauncher('initramfs'),
        compression: definition.initramfsCompression,
      }),
    )
    .update(createHash('sha256').update(busybox).digest())
    .digest('hex');
  const suffix = definition.initramfsCompression === 'gzip' ? '.cpio.gz' : '.cpio';
  const dir = path.join(layout.vm, 'initramfs');
  const file = path.join(dir, `${key.slice(0, 32)}${suffix}`);
  if (
    await fs.access(file).then(
      () => true,
      () => false,
    )
  )
    return file;
  return withLock(
    layout.locks,
    'vm-initramfs',
    async () => {
      if (
        await fs.access(file).then(
          () => true,
          () => false,
        )
      )
        return file;
      const { modules, netModules } = await withUnpackedKernel(layout, kernel.package, async (tree) => {
        const modulesDir = path.join(tree, 'lib', 'modules', kernel.release);
        const base = await collectModules(modulesDir, roots);
        const all = await collectModules(modulesDir, [...roots, ...NETWORK_MODULE_ROOTS]);
        const baseNames = new Set(base.map((mod) => mod.name));
        return { modules: base, netModules: all.filter((mod) => !baseNames.has(mod.name)) };
      });
      const archive = writeCpioNewc(buildInitramfsEntries(busybox, modules, netModules));
      await fs.mkdir(dir, { recursive: true });
      await writeFileAtomic(
        file,
        definition.initramfsCompression === 'gzip' ? gzipSync(archive, { level: 6 }) : archive,
      );
      return file;
    },
    600_000,
  );
}
