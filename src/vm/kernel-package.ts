// Fetches the guest kernel as a Debian package: resolves the meta-package (linux-image-amd64) to
// the versioned one, downloads it with apt-get into the VM cache, checks its SHA256 against the
// apt index, and unpacks it into a temp dir on demand. The package is never installed on the host.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, IntegrityError, NotFoundError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { runTool, SETUP_HINT } from './tools.js';

/** One apt record (the fields we use). */
export interface AptRecord {
  package: string;
  version: string;
  sha256: string;
  depends: string[];
}

/** A kernel package present in the cache with its verified .deb. */
export interface KernelPackage {
  /** Versioned package name, e.g. linux-image-6.1.0-56-amd64. */
  packageName: string;
  version: string;
  /** SHA256 of the .deb (hex), as apt's index gives it. */
  debSha256: string;
  /** Cache dir of this package: package.deb and the prepared kernel files. */
  dir: string;
  debPath: string;
}

/** Parses the first record of `apt-cache show` output. Pure. */
export function parseAptRecord(text: string): AptRecord {
  const fields = new Map<string, string>();
  let last = '';
  for (const line of text.split('\n')) {
    if (line === '') {
      if (fields.size > 0) break;
      continue;
    }
    if (/^\s/.test(line) && last) {
      fields.set(last, `${fields.get(last)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon);
    fields.set(last, line.slice(colon + 1).trim());
  }
  const depends = (fields.get('Depends') ?? '')
    .split(',')
    .map((alt) => alt.split('|')[0]!.trim().split(/[\s(]/)[0]!)
    .filter((name) => name !== '');
  return {
    package: fields.get('Package') ?? '',
    version: fields.get('Version') ?? '',
    sha256: (fields.get('SHA256') ?? '').toLowerCase(),
    depends,
  };
}

/** True for a versioned kernel image package (linux-image-6.1.0-56-amd64), false for a meta-package. */
export function isVersionedKernelPackage(name: string): boolean {
  return /^linux-image-\d/.test(name);
}

async function showCandidate(name: string): Promise<AptRecord> {
  const result = await runTool('apt-cache', ['show', '--no-all-versions', name], { check: false });
  const record = parseAptRecord(result.stdout);
  if (result.exitCode !== 0 || record.package === '') {
    throw new NotFoundError(`kernel package '${name}' is not in the apt index`, {
      hint: 'run apt-get update (the VM kernel comes from the Debian archive), or fix kernel.package',
    });
  }
  return record;
}

/** Resolves a (meta-)package to the versioned kernel package's candidate apt record. */
export async function resolveKernelPackage(name: string): Promise<AptRecord> {
  let record = await showCandidate(name);
  for (let hops = 0; !isVersionedKernelPackage(record.package); hops++) {
    const next = record.depends.find((dep) => dep.startsWith('linux-image-'));
    if (!next || hops > 3) {
      throw new NotFoundError(`'${name}' does not lead to a versioned linux-image package`);
    }
    record = await showCandidate(next);
  }
  if (!/^[0-9a-f]{64}$/.test(record.sha256)) {
    throw new IntegrityError(`apt has no SHA256 for ${record.package} ${record.version}`);
  }
  return record;
}

/** SHA256 (hex) of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function cacheDirName(record: AptRecord): string {
  return `${record.package}_${record.version.replace(/[^A-Za-z0-9.+-]/g, '_')}_${record.sha256.slice(0, 12)}`;
}

async function readPinned(file: string): Promise<KernelPackage | undefined> {
  try {
    const pinned = JSON.parse(await fs.readFile(file, 'utf8')) as KernelPackage;
    await fs.access(pinned.debPath);
    return pinned;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure the kernel package for `name` is in `layout.vm/kernels/` and verified.
 * Once fetched, the resolution is pinned (kernels/<name>.json) so later runs need no apt call;
 * `refresh` re-resolves against the apt index. The caller holds the VM kernel lock.
 */
export async function ensureKernelPackage(layout: RootLayout, name: string, refresh = false): Promise<KernelPackage> {
  const kernelsDir = path.join(layout.vm, 'kernels');
  const pinFile = path.join(kernelsDir, `${name}.json`);
  if (!refresh) {
    const pinned = await readPinned(pinFile);
    if (pinned) return pinned;
  }
  const record = await resolveKernelPackage(name);
  const dir = path.join(kernelsDir, cacheDirName(record));
  const debPath = path.join(dir, 'package.deb');
  const kernel: KernelPackage = {
    packageName: record.package,
    version: record.version,
    debSha256: record.sha256,
    dir,
    debPath,
  };
  const present = await fs.access(debPath).then(
    () => true,
    () => false,
  );
  if (!present) await downloadVerified(layout, record, dir, debPath);
  await writeJsonAtomic(pinFile, kernel);
  return kernel;
}

async function downloadVerified(layout: RootLayout, record: AptRecord, dir: string, debPath: string): Promise<void> {
  await fs.mkdir(layout.tmp, { recursive: true });
  const staging = await fs.mkdtemp(path.join(layout.tmp, `kernel-download-${process.pid}-`));
  try {
    const result = await runTool('apt-get', ['download', `${record.package}=${record.version}`], {
      cwd: staging,
      check: false,
    });
    const files = (await fs.readdir(staging)).filter((file) => file.endsWith('.deb'));
    if (result.exitCode !== 0 || files.length !== 1) {
      throw new EnvironmentError(`apt-get download ${record.package} failed: ${result.stderr.trim()}`, {
        hint: `check the apt sources and network, then retry; ${SETUP_HINT}`,
      });
    }
    const downloaded = path.join(staging, files[0]!);
    const actual = await sha256File(downloaded);
    if (actual !== record.sha256) {
      throw new IntegrityError(
        `${record.package} ${record.version}: SHA256 ${actual} does not match the apt index (${record.sha256})`,
        { hint: 'run apt-get update and retry; a mismatch that persists means a tampered mirror' },
      );
    }
    await fs.mkdir(dir, { recursive: true });
    await fs.rename(downloaded, debPath);
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Unpacks the package (dpkg-deb -x) into a temp dir, runs `fn` on it, and removes the dir. */
export async function withUnpackedKernel<T>(
  layout: RootLayout,
  kernel: KernelPackage,
  fn: (tree: string) => Promise<T>,
): Promise<T> {
  await fs.mkdir(layout.tmp, { recursive: true });
  const tree = await fs.mkdtemp(path.join(layout.tmp, `kernel-tree-${process.pid}-`));
  try {
    await runTool('dpkg-deb', ['-x', kernel.debPath, tree]);
    return await fn(tree);
  } finally {
    await fs.rm(tree, { recursive: true, force: true });
  }
}
