// Where isobench keeps its state: one root directory (--root, ISOBENCH_ROOT, /var/lib/isobench)
// holding the image store, containers, VM artifacts and a staging dir on the same filesystem
// so that every write can be made atomic by rename.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_ROOT = '/var/lib/isobench';

/** Where artifacts that cost minutes to make (guest kernels built from source) are kept. */
export const DEFAULT_CACHE = '/var/cache/isobench';

/**
 * Picks the state root: explicit option, then ISOBENCH_ROOT (unless empty), then the default.
 * Absolute. The CLI refuses an empty explicit one (it would resolve to the working directory).
 */
export function resolveRoot(explicit?: string): string {
  return path.resolve(explicit ?? (process.env.ISOBENCH_ROOT || DEFAULT_ROOT));
}

/**
 * The cache shared by every state root (ISOBENCH_CACHE, default /var/cache/isobench): tests make a
 * fresh root each, and a kernel rebuild costs minutes. Entries are content-keyed, so sharing is safe.
 */
export interface CacheLayout {
  root: string;
  /** Built guest kernels, one dir per content key (src/vm/kernel-build.ts). */
  kernels: string;
  /** Staging on the same filesystem, so every entry is published by rename. */
  tmp: string;
  locks: string;
}

/** The cache layout: explicit dir, then ISOBENCH_CACHE, then the default. Absolute. */
export function cacheLayout(explicit?: string): CacheLayout {
  const root = path.resolve(explicit ?? process.env.ISOBENCH_CACHE ?? DEFAULT_CACHE);
  return {
    root,
    kernels: path.join(root, 'kernels'),
    tmp: path.join(root, 'tmp'),
    locks: path.join(root, 'locks'),
  };
}

/** The fixed layout below a state root. NOTE: every module takes paths from here, never builds its own. */
export interface RootLayout {
  root: string;
  /** OCI image layout: oci-layout, index.json, blobs/sha256/. */
  images: string;
  /** Unpacked layers, one dir per diff_id, used read-only as overlay lower dirs. */
  layers: string;
  /** Build cache entries (recipe step key -> layer). */
  buildCache: string;
  /** One dir per container: state.json, upper/, work/, rootfs/, stdout.log, stderr.log. */
  containers: string;
  /** One dir per bridge network: network.json, leases/ (one file per address in use), hosts, resolv.conf. */
  networks: string;
  /** VM artifacts: kernels, initramfs, base disks, per-VM dirs. */
  vm: string;
  /** Named volumes, one dir each: volume.json and _data/ (what containers mount). */
  volumes: string;
  /** Staging for atomic writes and temp dirs; same filesystem as everything above. */
  tmp: string;
  /** Lock files. */
  locks: string;
}

export function rootLayout(root: string): RootLayout {
  return {
    root,
    images: path.join(root, 'images'),
    layers: path.join(root, 'layers'),
    buildCache: path.join(root, 'build-cache'),
    containers: path.join(root, 'containers'),
    networks: path.join(root, 'networks'),
    vm: path.join(root, 'vm'),
    volumes: path.join(root, 'volumes'),
    tmp: path.join(root, 'tmp'),
    locks: path.join(root, 'locks'),
  };
}

/** The repository/package directory (where scenarios/, vm-images/ and build/ live). */
export function packageDir(): string {
  // dist/src/paths.js or src/paths.ts -> package root
  const here = path.dirname(fileURLToPath(import.meta.url));
  const parts = here.split(path.sep);
  const distIdx = parts.lastIndexOf('dist');
  if (distIdx > 0) return parts.slice(0, distIdx).join(path.sep) || '/';
  return path.resolve(here, '..');
}

/** The compiled C helper (built at set-up); ISOBENCH_HELPER overrides. */
export function helperBinary(): string {
  return process.env.ISOBENCH_HELPER ?? path.join(packageDir(), 'build', 'isobench-helper');
}

/** The static probe program every target runs (built at set-up); ISOBENCH_PROBE overrides. */
export function probeBinary(): string {
  return process.env.ISOBENCH_PROBE ?? path.join(packageDir(), 'build', 'isobench-probe');
}
