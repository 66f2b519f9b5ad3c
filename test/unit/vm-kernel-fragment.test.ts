import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { packageDir } from '../../src/paths.js';
import {
  canonicalFragment,
  findConfigMismatches,
  parseDotConfig,
  parseKconfigFragment,
} from '../../src/vm/kernel-fragment.js';

describe('Kconfig fragments', () => {
  it('parses settings, unset lines and comments with their line numbers', () => {
    const text = '# why\nCONFIG_A=y\n\n# CONFIG_B is not set\nCONFIG_NR=64\nCONFIG_S="x y"\nCONFIG_H=0x10\n';
    expect(parseKconfigFragment('f.config', text)).toEqual([
      { symbol: 'CONFIG_A', value: 'y', line: 2 },
      { symbol: 'CONFIG_B', value: 'n', line: 4 },
      { symbol: 'CONFIG_NR', value: '64', line: 5 },
      { symbol: 'CONFIG_S', value: '"x y"', line: 6 },
      { symbol: 'CONFIG_H', value: '0x10', line: 7 },
    ]);
  });

  it('refuses modules, junk, bad values and duplicates with file:line', () => {
    expect(() => parseKconfigFragment('f.config', 'CONFIG_A=m\n')).toThrow(/^f\.config:1: CONFIG_A=m: .*no modules/);
    expect(() => parseKconfigFragment('f.config', 'CONFIG_A=y\nrm -rf /\n')).toThrow(
      /^f\.config:2: expected CONFIG_NAME=value/,
    );
    expect(() => parseKconfigFragment('f.config', 'CONFIG_A=$(x)\n')).toThrow(/^f\.config:1: CONFIG_A: expected y, n/);
    expect(() => parseKconfigFragment('f.config', 'CONFIG_A="a"b"\n')).toThrow(InputError);
    // make expands $(...) in .config values, and path options copy host files into the kernel.
    expect(() => parseKconfigFragment('f.config', 'CONFIG_LOCALVERSION="$(shell id)"\n')).toThrow(/no paths, no \$/);
    expect(() => parseKconfigFragment('f.config', 'CONFIG_INITRAMFS_SOURCE="/etc"\n')).toThrow(/no paths/);
    expect(() => parseKconfigFragment('f.config', 'CONFIG_EXTRA_FIRMWARE="../x"\n')).toThrow(InputError);
    expect(() => parseKconfigFragment('f.config', 'CONFIG_A=y\nCONFIG_A=n\n')).toThrow(
      /^f\.config:2: CONFIG_A is already set on line 1/,
    );
    expect(() => parseKconfigFragment('f.config', '# only comments\n')).toThrow(/no CONFIG_ settings/);
  });

  it('canonical text ignores comments and order', () => {
    const a = parseKconfigFragment('a', '# one\nCONFIG_B=y\nCONFIG_A=y\n');
    const b = parseKconfigFragment('b', 'CONFIG_A=y\n\n# two\nCONFIG_B=y\n');
    expect(canonicalFragment(a)).toBe('CONFIG_A=y\nCONFIG_B=y\n');
    expect(canonicalFragment(b)).toBe(canonicalFragment(a));
  });

  it('finds the settings Kconfig dropped', () => {
    const settings = parseKconfigFragment('f', 'CONFIG_A=y\nCONFIG_B=y\n# CONFIG_C is not set\nCONFIG_N=64\n');
    const dot = parseDotConfig('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_N=32\n');
    expect(findConfigMismatches(settings, dot)).toEqual([
      { symbol: 'CONFIG_B', wanted: 'y', got: 'n' },
      { symbol: 'CONFIG_N', wanted: '64', got: '32' },
    ]);
  });

  it('vm-images/minimal.config is a valid fragment without modules and with the boot essentials', async () => {
    const file = path.join(packageDir(), 'vm-images', 'minimal.config');
    const settings = parseKconfigFragment(file, await fs.readFile(file, 'utf8'));
    const values = new Map(settings.map((s) => [s.symbol, s.value]));
    for (const symbol of [
      'CONFIG_64BIT',
      'CONFIG_PVH',
      'CONFIG_VIRTIO_BLK',
      'CONFIG_EXT4_FS',
      'CONFIG_SERIAL_8250_CONSOLE',
    ]) {
      expect(values.get(symbol)).toBe('y');
    }
    expect(values.has('CONFIG_MODULES')).toBe(false);
  });
});
