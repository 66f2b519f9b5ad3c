// Stages a COPY/ADD step into an empty directory that mirrors the image root, ready to be packed
// as a layer: files keep their modes and mtimes, owners become root (or --chown), parent dirs
// take the metadata they already have in the image, local tar archives given to ADD are unpacked.
import { spawn } from 'node:child_process';
import { createReadStream, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { EnvironmentError, IntegrityError, RecipeError } from '../../errors.js';
import { extractLayer } from '../layer-tar.js';
import type { ContextSource } from './context-sources.js';
import { lstatInImage, resolveInImage } from './image-lookup.js';
import type { CopyStep } from './types.js';

export interface StageOptions {
  /** Empty directory standing for the image root. */
  stagingDir: string;
  /** Scratch space for archive extraction (same filesystem, will be emptied). */
  scratchDir: string;
  /** Unpacked layers of the image so far, topmost first. */
  lowerDirs: string[];
  owner: { uid: number; gid: number };
  file: string;
}

/** Dirs mirrorDirs created, with the mtime they must end with (set last: adding children changes it). */
type DirTimes = Array<{ dir: string; mtime: Date }>;

type ArchiveKind = 'tar' | 'gzip' | 'xz' | 'bzip2' | 'zstd';

/** Copies the step's sources into `stagingDir` at the step's destination. */
export async function stageCopy(step: CopyStep, sources: ContextSource[], options: StageOptions): Promise<void> {
  const dirTimes: DirTimes = [];
  await stageSources(step, sources, { ...options, dirTimes });
  for (const { dir, mtime } of dirTimes.reverse()) await fs.utimes(dir, mtime, mtime);
}

async function stageSources(
  step: CopyStep,
  sources: ContextSource[],
  options: StageOptions & { dirTimes: DirTimes },
): Promise<void> {
  for (const source of sources) {
    if (source.stat.isDirectory()) {
      // A directory's contents go into dest (the dir itself is not created under its own name).
      const target = await mirrorDirs(options, step.dest);
      await copyTreeContents(source.realPath, target, step, options);
      continue;
    }
    if (!source.stat.isFile()) {
      throw new RecipeError(
        options.file,
        step.line,
        `${step.kind.toUpperCase()} source '${source.rel}' is not a regular file, directory or symlink`,
      );
    }
    const archive = step.kind === 'add' ? await sniffArchive(source.realPath) : undefined;
    if (archive) {
      const target = await mirrorDirs(options, step.dest);
      await unpackArchive(source, archive, target, step, options);
      continue;
    }
    // As in Docker, `COPY f /etc` puts f into /etc when /etc is a directory in the image.
    const intoDir =
      step.destIsDir ||
      (await lstatInImage(options.lowerDirs, await resolveInImage(options.lowerDirs, step.dest)))?.isDirectory();
    const imagePath = intoDir ? path.posix.join(step.dest, path.posix.basename(source.rel)) : step.dest;
    const parent = await mirrorDirs(options, path.posix.dirname(imagePath));
    await copyEntry(source.realPath, path.join(parent, path.posix.basename(imagePath)), source.stat, step, options);
  }
}

/**
 * Creates the staging dirs for an in-image directory path, resolving in-image symlinks first
 * (so COPY x /bin/ on a merged-/usr image lands in /usr/bin). Each created dir copies mode, owner
 * and mtime from the image if it exists there, else 0755 root. Returns the staging path.
 */
export async function mirrorDirs(
  options: Pick<StageOptions, 'stagingDir' | 'lowerDirs'> & {
    dirTimes?: DirTimes;
    /** Owner of dirs that do not exist in the image yet (default root). */
    newDirOwner?: { uid: number; gid: number };
  },
  imageDir: string,
): Promise<string> {
  const resolved = await resolveInImage(options.lowerDirs, imageDir);
  let current = options.stagingDir;
  let imagePath = '';
  for (const part of resolved.split('/').filter(Boolean)) {
    imagePath += `/${part}`;
    current = path.join(current, part);
    const existing = await fs.lstat(current).catch(() => undefined);
    if (existing?.isDirectory()) continue;
    if (existing) await fs.rm(current, { recursive: true, force: true });
    await fs.mkdir(current);
    const lower = await lstatInImage(options.lowerDirs, imagePath);
    const meta = lower?.isDirectory()
      ? { mode: lower.mode & 0o7777, uid: lower.uid, gid: lower.gid, mtime: lower.mtime }
      : { mode: 0o755, uid: options.newDirOwner?.uid ?? 0, gid: options.newDirOwner?.gid ?? 0, mtime: new Date(0) };
    await applyMeta(current, meta.mode, meta.uid, meta.gid, meta.mtime);
    options.dirTimes?.push({ dir: current, mtime: meta.mtime });
  }
  return current;
}

async function applyMeta(target: string, mode: number, uid: number, gid: number, mtime: Date): Promise<void> {
  await fs.lchown(target, uid, gid);
  // chown clears setuid/setgid, so the mode goes after it.
  await fs.chmod(target, mode);
  await fs.utimes(target, mtime, mtime);
}

async function copyTreeContents(srcDir: string, destDir: string, step: CopyStep, options: StageOptions): Promise<void> {
  // The destination dir keeps the metadata it has in the image (set by mirrorDirs).
  for (const name of await fs.readdir(srcDir)) {
    const src = path.join(srcDir, name);
    await copyEntry(src, path.join(destDir, name), await fs.lstat(src), step, options);
  }
}

async function copyEntry(src: string, dest: string, stat: Stats, step: CopyStep, options: StageOptions): Promise<void> {
  const { uid, gid } = options.owner;
  const mode = step.chmod ?? stat.mode & 0o7777;
  if (stat.isDirectory()) {
    const existing = await fs.lstat(dest).catch(() => undefined);
    if (existing && !existing.isDirectory()) await fs.rm(dest, { force: true });
    if (!existing?.isDirectory()) await fs.mkdir(dest);
    for (const name of await fs.readdir(src)) {
      const child = path.join(src, name);
      await copyEntry(child, path.join(dest, name), await fs.lstat(child), step, options);
    }
    await applyMeta(dest, mode, uid, gid, stat.mtime);
  } else if (stat.isSymbolicLink()) {
    await fs.rm(dest, { recursive: true, force: true });
    // Symlinks inside a copied tree are copied as links, never followed.
    await fs.symlink(await fs.readlink(src), dest);
    await fs.lchown(dest, uid, gid);
    await fs.lutimes(dest, stat.mtime, stat.mtime);
  } else if (stat.isFile()) {
    await fs.rm(dest, { recursive: true, force: true });
    await fs.copyFile(src, dest);
    await applyMeta(dest, mode, uid, gid, stat.mtime);
  } else {
    throw new RecipeError(
      options.file,
      step.line,
      `${step.kind.toUpperCase()} cannot copy ${src}: only regular files, directories and symlinks can be copied`,
    );
  }
}

/** Recognizes a tar archive (plain or compressed) by its first bytes; undefined for other files. */
async function sniffArchive(file: string): Promise<ArchiveKind | undefined> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await handle.read(head, 0, 512, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (bytesRead >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
    if (bytesRead >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    if (bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Decompresses through zlib (gzip) or the xz/bzip2/zstd command-line tools. */
function openArchive(file: string, kind: ArchiveKind): { stream: Readable; done: Promise<void> } {
  if (kind === 'tar' || kind === 'gzip') {
    const raw = createReadStream(file);
    if (kind === 'tar') return { stream: raw, done: Promise.resolve() };
    const gunzip = createGunzip();
    raw.on('error', (error) => gunzip.destroy(error));
    return { stream: raw.pipe(gunzip), done: Promise.resolve() };
  }
  const tool = kind === 'bzip2' ? 'bzip2' : kind;
  const child = spawn(tool, ['-dc', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new PassThrough();
  child.stdout.pipe(out);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 2048) stderr += chunk.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error) =>
      reject(
        new EnvironmentError(`cannot run ${tool} to unpack ${file}: ${error.message}`, {
          hint: `install it (apt-get install ${kind === 'xz' ? 'xz-utils' : tool})`,
        }),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new IntegrityError(`${tool} could not decompress ${file}: ${stderr.trim()}`));
    });
  });
  out.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { stream: out, done };
}

async function unpackArchive(
  source: ContextSource,
  kind: ArchiveKind,
  target: string,
  step: CopyStep,
  options: StageOptions,
): Promise<void> {
  // extractLayer needs an empty dir and removes it on error: unpack aside, then move entries in.
  const scratch = path.join(options.scratchDir, `add-${path.basename(target)}-${Date.now()}`);
  const { stream, done } = openArchive(source.realPath, kind);
  try {
    await Promise.all([extractLayer(stream, scratch), done]);
  } catch (error) {
    stream.destroy();
    await fs.rm(scratch, { recursive: true, force: true });
    if (error instanceof IntegrityError || error instanceof EnvironmentError) throw error;
    throw new RecipeError(
      options.file,
      step.line,
      `ADD could not unpack '${source.rel}': ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  await moveContents(scratch, target);
  await fs.rm(scratch, { recursive: true, force: true });
}

/** Moves everything in `from` into `to`, merging with directories already staged there. */
async function moveContents(from: string, to: string): Promise<void> {
  for (const name of await fs.readdir(from)) {
    const src = path.join(from, name);
    const dest = path.join(to, name);
    const [srcStat, destStat] = await Promise.all([fs.lstat(src), fs.lstat(dest).catch(() => undefined)]);
    if (srcStat.isDirectory() && destStat?.isDirectory()) {
      await moveContents(src, dest);
      await fs.chmod(dest, srcStat.mode & 0o7777);
      await fs.utimes(dest, srcStat.mtime, srcStat.mtime);
      continue;
    }
    if (destStat) await fs.rm(dest, { recursive: true, force: true });
    await fs.rename(src, dest);
  }
}
