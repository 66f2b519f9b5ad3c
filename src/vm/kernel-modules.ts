// Picks the kernel modules the initramfs needs: the named ones plus their `depends=` closure
// (read from each module's .modinfo, since the Debian package ships no modules.dep), in load order.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { InputError } from '../errors.js';
import { missingTool } from './tools.js';

const DEPENDS_KEY = Buffer.from('\0depends=');

/** Canonical module name: basename without .ko[.xz|.zst|.gz], dashes as underscores. Pure. */
export function moduleNameOf(file: string): string {
  return path
    .basename(file)
    .replace(/\.ko(\.(xz|zst|gz))?$/, '')
    .replace(/-/g, '_');
}

/** Reads the `depends=` list from an uncompressed module's bytes. Pure. */
export function parseModuleDepends(ko: Uint8Array): string[] {
  const buf = Buffer.from(ko.buffer, ko.byteOffset, ko.byteLength);
  const at = buf.indexOf(DEPENDS_KEY);
  if (at < 0) return [];
  const start = at + DEPENDS_KEY.length;
  const end = buf.indexOf(0, start);
  const value = buf.toString('latin1', start, end < 0 ? buf.length : end);
  return value
    .split(',')
    .filter((name) => name !== '')
    .map((name) => name.replace(/-/g, '_'));
}

/**
 * Orders `roots` and everything they depend on so that each module comes after its dependencies.
 * `dependsOf` returns undefined for a module the kernel does not have. Pure.
 */
export function resolveModuleOrder(roots: string[], dependsOf: (name: string) => string[] | undefined): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]): void => {
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new InputError(`module dependency cycle: ${[...chain, name].join(' -> ')}`);
    const deps = dependsOf(name);
    if (deps === undefined) {
      const via = chain.length > 0 ? ` (needed by ${chain[chain.length - 1]})` : '';
      throw new InputError(`kernel module '${name}'${via} is not in the guest kernel`, {
        hint: 'fix the modules list of the VM definition (vm-images/*.yaml)',
      });
    }
    state.set(name, 'visiting');
    for (const dep of deps) visit(dep, [...chain, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const root of roots) visit(root.replace(/-/g, '_'), []);
  return order;
}

/** Lists every module file under a modules tree (lib/modules/<release>), keyed by canonical name. */
export async function indexModules(modulesDir: string): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  const entries = await fs.readdir(modulesDir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile() || !/\.ko(\.(xz|zst|gz))?$/.test(entry.name)) continue;
    const parent = (entry as { parentPath?: string; path?: string }).parentPath ?? entry.path;
    index.set(moduleNameOf(entry.name), path.join(parent, entry.name));
  }
  return index;
}

/** Returns a module's uncompressed bytes; .ko.xz/.zst/.gz are decompressed (busybox insmod cannot). */
export async function readModule(file: string): Promise<Buffer> {
  const tool = file.endsWith('.xz') ? 'xz' : file.endsWith('.zst') ? 'zstd' : file.endsWith('.gz') ? 'gzip' : '';
  if (tool === '') return fs.readFile(file);
  try {
    const result = await execa(tool, ['-dc', file], { encoding: 'buffer' });
    return Buffer.from(result.stdout);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw missingTool(tool);
    throw error;
  }
}

/** A module ready to go into the initramfs. */
export interface PreparedModule {
  name: string;
  /** Uncompressed .ko bytes. */
  data: Buffer;
}

/** Resolves `roots` against the modules tree and returns them uncompressed, in load order. */
export async function collectModules(modulesDir: string, roots: string[]): Promise<PreparedModule[]> {
  const index = await indexModules(modulesDir);
  const cache = new Map<string, Buffer>();
  const load = async (name: string): Promise<void> => {
    if (cache.has(name)) return;
    const file = index.get(name);
    if (!file) return;
    const data = await readModule(file);
    cache.set(name, data);
    for (const dep of parseModuleDepends(data)) await load(dep);
  };
  for (const root of roots) await load(root.replace(/-/g, '_'));
  const order = resolveModuleOrder(roots, (name) => {
    const data = cache.get(name);
    return data === undefined ? undefined : parseModuleDepends(data);
  });
  return order.map((name) => ({ name, data: cache.get(name)! }));
}
