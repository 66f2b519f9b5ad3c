import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { packageDir } from '../../src/paths.js';
import { busModuleFor, loadVmDefinitionFile, parseVmDefinition } from '../../src/vm/definition.js';

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
    expect(def.kernel.package).toBe('linux-image-amd64');
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

  it('maps machines to their virtio bus module', () => {
    expect(busModuleFor('microvm')).toBe('virtio_mmio');
    expect(busModuleFor('q35')).toBe('virtio_pci');
  });
});
