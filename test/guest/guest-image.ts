// The image `npm run test:guest` boots: this checkout's built project and tests, the node_modules
// vitest and the tests load, and the host's own node with the shared libraries it links, staged
// into a build context and built by isobench's builder from test/guest/Containerfile.
// NOTE: it lives in a cache root of its own (not a test's temp root): the builder keys every step
// by content, so an unchanged checkout reuses every layer, the same image digest and its VM disk.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { runEphemeral } from '../../src/container/index.js';
import { buildImage } from '../../src/image/recipe/build.js';
import { ImageStore } from '../../src/image/store.js';
import { packageDir, type RootLayout } from '../../src/paths.js';
import { isProcessAlive } from '../../src/util/process.js';
import { baseDiskPaths } from '../../src/vm/base-disk.js';
import { gcVms } from '../../src/vm/index.js';

/** The tag of the latest build (for humans: runs use the digest they built). */
export const GUEST_IMAGE_TAG = 'isobench-guest-tests:latest';

/** Where the image, its build cache and the VM artifacts live between runs; ISOBENCH_GUEST_CACHE overrides. */
export function guestCacheRoot(): string {
  return path.resolve(process.env.ISOBENCH_GUEST_CACHE ?? '/var/cache/isobench/test-guest');
}

/**
 * npm packages the guest loads, with their dependency closure: vitest, and what the guest tests
 * and the built CLI's container commands import (not the report stack: canvas needs cairo).
 */
export const GUEST_NODE_MODULES = ['vitest', 'tar-stream', 'commander', 'execa', 'yaml', 'zod'];

/** Project paths copied to /opt/isobench (build/ only after `npm run build`). */
const PROJECT_PATHS = [
  'package.json',
  'tsconfig.json',
  'bin',
  'dist/src',
  'src',
  'test',
  'build/isobench-helper',
  'build/isobench-probe',
  'scenarios/images/probe',
];

/** Copies left out: host files the set-up script stages into recipe dirs (the guest stages its own). */
const SKIPPED_NAMES = new Set(['busybox', 'isobench-probe', '.bin', '.vite', '.vite-temp', '.cache']);

/**
 * Images (each with a ~170 MiB VM disk) of other checkouts are removed once unused this long: far
 * longer than a concurrent run uses one, short enough that a day of commits does not pile up.
 */
const MAX_UNUSED_MS = 3600 * 1000;

async function copyTree(from: string, to: string, skip: (name: string) => boolean): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.cp(from, to, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => source === from || !skip(path.basename(source)),
  });
}

/** The dir of package `name` as node resolves it from `fromDir` (nearest node_modules up the tree). */
function resolvePackageDir(fromDir: string, name: string, top: string): string | undefined {
  for (let dir = fromDir; dir.startsWith(top); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === top) break;
  }
  return undefined;
}

/** The top-level node_modules packages in the closure of `roots` (dependencies, optional and peer ones present). */
export function nodeModulesClosure(projectDir: string, roots: string[]): string[] {
  const top = path.resolve(projectDir);
  const topModules = path.join(top, 'node_modules');
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const rel = path.relative(topModules, dir).split(path.sep);
    packages.add(rel[0]!.startsWith('@') ? `${rel[0]}/${rel[1]}` : rel[0]!);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const deps = ['dependencies', 'optionalDependencies', 'peerDependencies'].flatMap((key) =>
      Object.keys((manifest[key] as Record<string, string> | undefined) ?? {}),
    );
    for (const dep of deps) {
      const found = resolvePackageDir(dir, dep, top);
      if (found) visit(found);
    }
  };
  for (const root of roots) {
    const dir = resolvePackageDir(top, root, top);
    if (!dir) throw new Error(`node_modules/${root} is missing: run npm ci`);
    visit(dir);
  }
  return [...packages].sort();
}

/** The shared libraries `binary` links (ldd), dynamic loader included, as absolute paths. */
export function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line)?.[1])
    .filter((file): file is string => file !== undefined);
}

/** Fills the empty dir `context` with what test/guest/Containerfile copies. */
export async function stageGuestContext(context: string): Promise<void> {
  const project = packageDir();
  for (const file of ['build/isobench-helper', 'build/isobench-probe']) {
    if (!existsSync(path.join(project, file))) throw new Error(`${file} is missing: run npm run build first`);
  }
  await assertDistCurrent(project);
  await fs.copyFile('/bin/busybox', path.join(context, 'busybox'));
  await fs.chmod(path.join(context, 'busybox'), 0o755);
  await copyTree(path.join(project, 'test', 'guest', 'etc'), path.join(context, 'etc'), () => false);
  for (const name of nodeModulesClosure(project, GUEST_NODE_MODULES)) {
    await copyTree(path.join(project, 'node_modules', name), path.join(context, 'node_modules', name), (base) =>
      SKIPPED_NAMES.has(base),
    );
  }
  // The host's node as /usr/bin/node, and each library it or a native addon (rollup's) links,
  // under the path the dynamic loader looks it up by.
  await copyFile(process.execPath, path.join(context, 'node', 'usr', 'bin', 'node'));
  const linked = [process.execPath, ...(await findFiles(path.join(context, 'node_modules'), '.node'))];
  for (const library of new Set(linked.flatMap(sharedLibraries))) {
    await copyFile(library, path.join(context, 'node', library));
  }
  for (const rel of PROJECT_PATHS) {
    await copyTree(path.join(project, rel), path.join(context, 'project', rel), (base) => SKIPPED_NAMES.has(base));
  }
}

/**
 * The guest's tests load the built dist/src/ (test/guest/vitest.guest.config.ts), so it must be
 * built from this src/: every .ts file under src/ has its .js, written after the source last changed.
 */
export async function assertDistCurrent(project: string): Promise<void> {
  for (const source of await findFiles(path.join(project, 'src'), '.ts')) {
    const built = path.join(project, 'dist', path.relative(project, source)).replace(/\.ts$/, '.js');
    const [sourceStat, builtStat] = await Promise.all([fs.stat(source), fs.stat(built).catch(() => undefined)]);
    if (builtStat === undefined || builtStat.mtimeMs < sourceStat.mtimeMs) {
      throw new Error(
        `dist/ is older than ${path.relative(project, source)}: run npm run build first (npm run test:guest does)`,
      );
    }
  }
}

async function findFiles(dir: string, suffix: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => path.join(e.parentPath, e.name));
}

// Copies the content (symlinks followed) with the mode of the file it resolves to.
async function copyFile(from: string, to: string): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.copyFile(from, to);
  await fs.chmod(to, (await fs.stat(from)).mode & 0o7777);
}

/** What one build gave. */
export interface GuestImage {
  digest: string;
  /** Steps served from the build cache, and all steps. */
  cachedSteps: number;
  steps: number;
  durationMs: number;
}

/** Stages the context and builds the image in `layout` (the cache root); marks its digest used. */
export async function buildGuestImage(layout: RootLayout, log: (line: string) => void = () => {}): Promise<GuestImage> {
  const started = Date.now();
  await fs.mkdir(layout.tmp, { recursive: true });
  const context = path.join(layout.tmp, `guest-context-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(context, { mode: 0o700 });
  try {
    await stageGuestContext(context);
    const result = await buildImage(layout, {
      contextDir: context,
      file: path.join(packageDir(), 'test', 'guest', 'Containerfile'),
      tag: GUEST_IMAGE_TAG,
      log,
      runStep: runEphemeral,
    });
    await markUsed(layout, result.image.digest);
    return {
      digest: result.image.digest,
      cachedSteps: result.steps.filter((step) => step.cached).length,
      steps: result.steps.length,
      durationMs: Date.now() - started,
    };
  } finally {
    await fs.rm(context, { recursive: true, force: true });
  }
}

function usedMarker(layout: RootLayout, digest: string): string {
  return path.join(layout.root, 'guest-used', digest.replace(/^sha256:/, ''));
}

async function markUsed(layout: RootLayout, digest: string): Promise<void> {
  await fs.mkdir(path.dirname(usedMarker(layout, digest)), { recursive: true });
  await fs.writeFile(usedMarker(layout, digest), `${new Date().toISOString()}\n`);
}

/**
 * Removes from the cache root what killed runs left (VMs and temp dirs of dead owners) and the
 * images (with their VM base disks) no run used for MAX_UNUSED_MS, so a machine running
 * test:guest on every commit does not fill its disk. `keep` is never removed. Returns the removed digests.
 */
export async function pruneGuestCache(layout: RootLayout, keep: string): Promise<string[]> {
  await gcVms(layout);
  for (const name of await fs.readdir(layout.tmp).catch(() => [] as string[])) {
    const owner = /^guest-(?:context|results)-(\d+)-/.exec(name)?.[1];
    if (owner !== undefined && !isProcessAlive(Number(owner))) {
      await fs.rm(path.join(layout.tmp, name), { recursive: true, force: true });
    }
  }
  const store = await ImageStore.open(layout.root);
  const removed: string[] = [];
  for (const image of await store.list()) {
    if (image.digest === keep) continue;
    const usedAtMs = (await fs.stat(usedMarker(layout, image.digest)).catch(() => undefined))?.mtimeMs ?? 0;
    if (Date.now() - usedAtMs < MAX_UNUSED_MS) continue;
    await store.remove(image.digest, { isInUse: async () => false });
    const disk = baseDiskPaths(layout, image.digest);
    for (const file of [disk.meta, disk.disk, usedMarker(layout, image.digest)]) await fs.rm(file, { force: true });
    removed.push(image.digest);
  }
  return removed;
}
