import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { packageDir } from '../../src/paths.js';
import {
  busModuleFor,
  isBuiltKernel,
  loadVmDefinitionFile,
  parseVmDefinition,
  VM_KERNEL_VARIANTS,
  variantOfDefinition,
} from '../../src/vm/definition.js';

const valid = {
  name: 'tiny',
  kernel: { package: 'linux-image-amd64' },
  cmdline: ['console=ttyS0'],
  machine: 'microvm',
  memoryMiB: 128,
  cpus: 1,
  modules: ['virtio_blk'],
  initramfsCompression: 'none',
};

describe('VM definition', () => {
  it('loads vm-images/default.yaml', async () => {
    const def = await loadVmDefinitionFile(path.join(packageDir(), 'vm-images', 'default.yaml'));
    expect(def.name).toBe('default');
    expect(def.kernel).toEqual({ package: 'linux-image-amd64' });
    expect(def.machine).toBe('microvm');
    expect(def.cmdline[0]).toBe('console=ttyS0');
  });

  it('loads vm-images/guest-tests.yaml: the default command line plus overlayfs for the runtime', async () => {
    const dir = path.join(packageDir(), 'vm-images');
    const guest = await loadVmDefinitionFile(path.join(dir, 'guest-tests.yaml'));
    const def = await loadVmDefinitionFile(path.join(dir, 'default.yaml'));
    expect(guest.cmdline).toEqual(def.cmdline);
    expect(guest.modules).toEqual([...def.modules, 'overlay']);
  });

  it('accepts a valid definition', () => {
    expect(parseVmDefinition('tiny.yaml', valid)).toEqual(valid);
  });

  it('names the file and the field in errors', () => {
    expect(() => parseVmDefinition('x.yaml', { ...valid, memoryMiB: 'lots' })).toThrow(/^x\.yaml: field 'memoryMiB': /);
    expect(() => parseVmDefinition('x.yaml', { ...valid, machine: 'pc' })).toThrow(/x\.yaml: field 'machine'/);
    expect(() => parseVmDefinition('x.yaml', { ...valid, cmdline: ['a b'] })).toThrow(/x\.yaml: field 'cmdline\.0'/);
    expect(() => parseVmDefinition('x.yaml', { ...valid, extra: 1 })).toThrow(InputError);
    expect(() => parseVmDefinition('x.yaml', { ...valid, kernel: {} })).toThrow(/field 'kernel\.package'/);
  });

  it('loads vm-images/minimal.yaml: a kernel built from a fragment, no modules', async () => {
    const def = await loadVmDefinitionFile(path.join(packageDir(), 'vm-images', 'minimal.yaml'));
    expect(def.name).toBe('minimal');
    expect(def.kernel).toEqual({ build: 'minimal.config', source: 'linux-source-6.1' });
    expect(isBuiltKernel(def.kernel)).toBe(true);
    expect(def.modules).toEqual([]);
  });

  it('takes either a package or a fragment kernel, and no modules with a built one', () => {
    const built = { ...valid, kernel: { build: 'tiny.config', source: 'linux-source-6.1' }, modules: [] };
    expect(parseVmDefinition('b.yaml', built).kernel).toEqual({ build: 'tiny.config', source: 'linux-source-6.1' });
    const { modules: _m, initramfsCompression: _c, ...withoutDefaults } = built;
    expect(parseVmDefinition('b.yaml', withoutDefaults)).toMatchObject({ modules: [], initramfsCompression: 'none' });
    expect(() => parseVmDefinition('b.yaml', { ...built, modules: ['ext4'] })).toThrow(
      /b\.yaml: field 'modules': a kernel built from a fragment/,
    );
    expect(() =>
      parseVmDefinition('b.yaml', { ...built, kernel: { build: 'tiny.config', package: 'linux-image-amd64' } }),
    ).toThrow(/field 'kernel\.package': expected either/);
    expect(() => parseVmDefinition('b.yaml', { ...built, kernel: { build: 'tiny.config' } })).toThrow(
      /field 'kernel\.source'/,
    );
    expect(() =>
      parseVmDefinition('b.yaml', { ...built, kernel: { build: '../../etc/x.config', source: 'linux-source-6.1' } }),
    ).toThrow(/field 'kernel\.build': expected a fragment file name/);
  });

  it('names the variants reports show', () => {
    expect(VM_KERNEL_VARIANTS).toEqual({ stock: 'default', minimal: 'minimal' });
    expect(variantOfDefinition('default')).toBe('stock');
    expect(variantOfDefinition('minimal')).toBe('minimal');
    expect(variantOfDefinition('custom')).toBe('custom');
  });

  it('maps machines to their virtio bus module', () => {
    expect(busModuleFor('microvm')).toBe('virtio_mmio');
    expect(busModuleFor('q35')).toBe('virtio_pci');
  });
});
