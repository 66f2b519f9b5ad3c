// Safe extraction of an uncompressed layer tar into an empty directory, as root: every entry is
// checked before it touches the disk, no host symlink is ever followed, and whiteouts become
// overlay whiteouts so the directory can serve as an overlay lower dir.
import { execFile } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import * as tar from 'tar-stream';
import { InternalError, IsobenchError, UnsafeArchiveError } from '../../errors.js';
import { checkSymlinkTarget, normalizeEntryPath, parentPaths, REBUILD_HINT } from './entry-path.js';
import { applyOverlayMarks } from './overlay-marks.js';

const execFileAsync = promisify(execFile);

/** Largest single file accepted, in bytes (a sanity bound against absurd headers). */
export const MAX_ENTRY_BYTES = 64 * 1024 ** 3;
/** Most entries accepted in one layer. */
export const MAX_ENTRIES = 5_000_000;

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

export interface ExtractResult {
  /** Tar entries processed (including whiteouts). */
  entries: number;
  /** Bytes of regular file content written. */
  bytes: number;
}

/** A parsed tar header; `pax` holds the PAX records tar-stream leaves for us (uid, gid, mtime). */
type TarHeader = Partial<Omit<tar.Header, 'pax'>> & { name: string; pax?: Record<string, string> | null };

interface Owner {
  uid: number;
  gid: number;
  mode: number;
  mtime: Date;
}

/** What this extraction created, so checks need no repeated lstat and links resolve to known files. */
interface ExtractState {
  root: string;
  /** Relative paths known to be real directories ('' is the root). */
  dirs: Set<string>;
  /** Relative paths of regular files extracted so far (hardlink targets). */
  files: Set<string>;
  /** Directory mtimes, applied last because creating children changes them. */
  dirTimes: Map<string, Date>;
  whiteouts: Set<string>;
  opaques: Set<string>;
}

function refuse(entry: string, why: string): never {
  throw new UnsafeArchiveError(entry, why, { hint: REBUILD_HINT });
}

function abs(state: ExtractState, rel: string): string {
  return rel === '' ? state.root : path.join(state.root, rel);
}

function forgetSubtree(state: ExtractState, rel: string): void {
  const prefix = `${rel}/`;
  for (const set of [state.dirs, state.files, state.whiteouts, state.opaques]) {
    for (const key of set) if (key === rel || key.startsWith(prefix)) set.delete(key);
  }
  for (const key of state.dirTimes.keys()) if (key === rel || key.startsWith(prefix)) state.dirTimes.delete(key);
}

async function lstatOrUndefined(p: string) {
  try {
    return await fs.lstat(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Makes sure every parent of `rel` is a real directory (created 0755 root if missing), never a symlink. */
async function ensureParents(state: ExtractState, entry: string, rel: string): Promise<void> {
  for (const parent of parentPaths(rel)) {
    if (state.dirs.has(parent)) continue;
    const stat = await lstatOrUndefined(abs(state, parent));
    if (stat === undefined) {
      await fs.mkdir(abs(state, parent), { mode: 0o755 });
    } else if (stat.isSymbolicLink()) {
      refuse(entry, `its parent '${parent}' is a symlink; writing through it could escape the root`);
    } else if (!stat.isDirectory()) {
      refuse(entry, `its parent '${parent}' is not a directory`);
    }
    state.dirs.add(parent);
  }
}

/** Removes whatever sits at `rel` unless it is a directory and `keepDir` (tar: later entries replace). */
async function clearPath(state: ExtractState, rel: string, keepDir: boolean): Promise<'kept' | 'clear'> {
  const stat = await lstatOrUndefined(abs(state, rel));
  if (stat === undefined) return 'clear';
  if (keepDir && stat.isDirectory()) return 'kept';
  // fs.rm never follows symlinks: it lstat()s and unlinks the link itself.
  await fs.rm(abs(state, rel), { recursive: true, force: true });
  forgetSubtree(state, rel);
  return 'clear';
}

function parseId(entry: string, value: unknown, what: string): number {
  const id = typeof value === 'string' ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= 0xffffffff) {
    refuse(entry, `invalid ${what} ${JSON.stringify(value)}`);
  }
  return id;
}

function ownerOf(entry: string, header: TarHeader): Owner {
  const pax = header.pax ?? undefined;
  let mtime = header.mtime instanceof Date && !Number.isNaN(header.mtime.getTime()) ? header.mtime : new Date(0);
  if (pax?.mtime !== undefined) {
    const seconds = Number.parseFloat(pax.mtime);
    if (Number.isFinite(seconds)) mtime = new Date(seconds * 1000);
  }
  return {
    uid: parseId(entry, pax?.uid ?? header.uid ?? 0, 'uid'),
    gid: parseId(entry, pax?.gid ?? header.gid ?? 0, 'gid'),
    mode: (header.mode ?? 0o644) & 0o7777,
    mtime,
  };
}

async function writeFileEntry(state: ExtractState, rel: string, owner: Owner, body: NodeJS.ReadableStream) {
  const file = abs(state, rel);
  // O_EXCL|O_NOFOLLOW: the path was just cleared; never write through a link planted in between.
  const handle = await fs.open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  let written = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      written += chunk.length;
      await handle.write(chunk);
    }
    // chown clears setuid/setgid, so the mode goes after the owner.
    await handle.chown(owner.uid, owner.gid);
    await handle.chmod(owner.mode);
    await handle.utimes(owner.mtime, owner.mtime);
  } finally {
    await handle.close();
  }
  return written;
}

async function applyMeta(state: ExtractState, rel: string, owner: Owner, isLink: boolean): Promise<void> {
  const target = abs(state, rel);
  await fs.lchown(target, owner.uid, owner.gid);
  // chmod follows symlinks; links carry no mode of their own on Linux.
  if (!isLink) await fs.chmod(target, owner.mode);
  await fs.lutimes(target, owner.mtime, owner.mtime);
}

/** Handles `.wh.NAME` and `.wh..wh..opq`; returns true when the entry was a whiteout of any kind. */
async function handleWhiteout(state: ExtractState, entry: string, rel: string): Promise<boolean> {
  const base = path.posix.basename(rel);
  if (!base.startsWith(WHITEOUT_PREFIX)) return false;
  const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
  if (rel.includes('\n')) refuse(entry, 'a whiteout name contains a newline');
  if (base === OPAQUE_MARKER) {
    if (dir !== '') await ensureParents(state, entry, `${dir}/x`);
    state.opaques.add(dir);
    return true;
  }
  // Other .wh..wh. names are AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs): meaningless here.
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return true;
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === '' || name === '.' || name === '..') refuse(entry, 'a whiteout names no file');
  const target = dir === '' ? name : `${dir}/${name}`;
  await ensureParents(state, entry, target);
  state.whiteouts.add(target);
  return true;
}

async function extractEntry(state: ExtractState, header: TarHeader, body: NodeJS.ReadableStream): Promise<number> {
  const entry = header.name;
  const rel = normalizeEntryPath(entry);
  const type = header.type ?? 'file';
  const size = header.size ?? 0;
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_ENTRY_BYTES) refuse(entry, `absurd size ${size}`);

  if (type !== 'directory' && rel === '') refuse(entry, 'a non-directory entry names the root itself');
  if (type !== 'directory' && (await handleWhiteout(state, entry, rel))) return 0;
  const owner = ownerOf(entry, header);

  switch (type) {
    case 'directory': {
      if (rel !== '') {
        await ensureParents(state, entry, rel);
        if ((await clearPath(state, rel, true)) === 'clear') await fs.mkdir(abs(state, rel), { mode: 0o700 });
      }
      state.dirs.add(rel);
      await applyMeta(state, rel, owner, false);
      state.dirTimes.set(rel, owner.mtime);
      return 0;
    }
    case 'file':
    case 'contiguous-file': {
      await ensureParents(state, entry, rel);
      await clearPath(state, rel, false);
      const written = await writeFileEntry(state, rel, owner, body);
      if (written !== size) refuse(entry, `truncated content (${written} of ${size} bytes)`);
      state.files.add(rel);
      return written;
    }
    case 'link': {
      const target = normalizeEntryPath(header.linkname ?? '');
      if (!state.files.has(target)) {
        refuse(entry, `the hardlink target '${header.linkname}' is not a regular file extracted earlier in this layer`);
      }
      if (target === rel) refuse(entry, 'the hardlink points at itself');
      await ensureParents(state, entry, rel);
      await clearPath(state, rel, false);
      // link(2) does not follow a symlink source, and the target is known to be a regular file.
      await fs.link(abs(state, target), abs(state, rel));
      state.files.add(rel);
      return 0;
    }
    case 'symlink': {
      const target = header.linkname ?? '';
      checkSymlinkTarget(entry, rel, target);
      await ensureParents(state, entry, rel);
      await clearPath(state, rel, false);
      await fs.symlink(target, abs(state, rel));
      await applyMeta(state, rel, owner, true);
      return 0;
    }
    case 'fifo': {
      // FIFOs are harmless (no device access) and some images ship them; Node has no mkfifo.
      await ensureParents(state, entry, rel);
      await clearPath(state, rel, false);
      await execFileAsync('mkfifo', ['-m', '600', '--', abs(state, rel)]);
      await applyMeta(state, rel, owner, false);
      return 0;
    }
    case 'character-device':
    case 'block-device':
      refuse(entry, `device nodes (${type} ${header.devmajor}:${header.devminor}) are not allowed in a layer`);
      break;
    default:
      refuse(entry, `unsupported entry type '${type}'`);
  }
  return 0;
}

/** Re-checks, without any cache, that every parent of `rel` is a real directory. */
async function verifyRealParents(state: ExtractState, rel: string): Promise<boolean> {
  for (const parent of parentPaths(rel)) {
    const stat = await lstatOrUndefined(abs(state, parent));
    if (stat === undefined || stat.isSymbolicLink() || !stat.isDirectory()) return false;
  }
  return true;
}

async function finishMarks(state: ExtractState): Promise<void> {
  const whiteouts: string[] = [];
  for (const rel of [...state.whiteouts].sort()) {
    if (!(await verifyRealParents(state, rel))) refuse(rel, 'a whiteout parent was replaced by a non-directory');
    // OCI: a whiteout only hides lower layers; a file of the same name in this layer wins.
    if ((await lstatOrUndefined(abs(state, rel))) !== undefined) continue;
    whiteouts.push(rel);
  }
  const opaques: string[] = [];
  for (const rel of [...state.opaques].sort()) {
    const stat = await lstatOrUndefined(abs(state, rel));
    if (!(await verifyRealParents(state, rel)) || stat === undefined || stat.isSymbolicLink() || !stat.isDirectory()) {
      refuse(`${rel}/${OPAQUE_MARKER}`, 'the opaque directory is not a real directory');
    }
    opaques.push(rel === '' ? '.' : rel);
  }
  await applyOverlayMarks(state.root, { whiteouts, opaques });
}

async function finishDirTimes(state: ExtractState): Promise<void> {
  // Deepest first, so setting a parent's time is the last change to it.
  const dirs = [...state.dirTimes.entries()].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
  for (const [rel, mtime] of dirs) await fs.lutimes(abs(state, rel), mtime, mtime);
}

// tar-stream's streams are streamx streams, which Node's pipeline() accepts; only the types differ.
function asNodeStream(source: tar.Extract extends AsyncIterable<infer S> ? S : never): NodeJS.ReadableStream {
  return source as unknown as NodeJS.ReadableStream;
}

/** True when the feeding pipeline did not fail, or failed only because the consumer stopped reading. */
function feedStoppedByConsumer(fed: PromiseSettledResult<unknown>): boolean {
  if (fed.status !== 'rejected') return true;
  const error = fed.reason as { code?: string; message?: string };
  return error?.code === 'ERR_STREAM_PREMATURE_CLOSE' || error?.message === 'Premature close';
}

function isTarFormatError(error: unknown): boolean {
  return (
    error instanceof Error &&
    /^(Invalid tar header|Invalid header|Header exceeds max size|Unexpected end of data)/.test(error.message)
  );
}

/**
 * Extracts an UNCOMPRESSED layer tar into `destDir` safely (see the rules in entry-path.ts and
 * above). Preserves mode (setuid/setgid/sticky included), uid/gid and mtime. Whiteouts become
 * overlay whiteouts and opaque markers become trusted.overlay.opaque=y, applied in one batch
 * through the helper at the end. PAX xattrs (e.g. file capabilities) are not applied.
 *
 * Preconditions: runs as root; `destDir` is absent or empty, and on a private path (a temp dir
 * under the state root's tmp/). NOTE: on ANY error `destDir` is removed entirely, so a caller
 * never sees a half-extracted layer; pass a dir you are ready to lose.
 * @throws UnsafeArchiveError for a hostile or malformed entry (naming the entry and why).
 */
export async function extractLayer(tarStream: NodeJS.ReadableStream, destDir: string): Promise<ExtractResult> {
  await fs.mkdir(destDir, { recursive: true, mode: 0o755 });
  if ((await fs.readdir(destDir)).length > 0) {
    throw new InternalError(`extractLayer needs an empty directory, and ${destDir} is not empty`);
  }
  const state: ExtractState = {
    root: path.resolve(destDir),
    dirs: new Set(['']),
    files: new Set(),
    dirTimes: new Map(),
    whiteouts: new Set(),
    opaques: new Set(),
  };
  const result: ExtractResult = { entries: 0, bytes: 0 };
  const extractor = tar.extract();
  const consume = async () => {
    for await (const entry of extractor) {
      result.entries += 1;
      if (result.entries > MAX_ENTRIES) refuse(entry.header.name, `more than ${MAX_ENTRIES} entries in one layer`);
      const type = entry.header.type;
      if (type === 'file' || type === 'contiguous-file') {
        result.bytes += await extractEntry(state, entry.header as TarHeader, asNodeStream(entry));
      } else {
        entry.resume();
        await extractEntry(state, entry.header as TarHeader, asNodeStream(entry));
      }
    }
    await finishMarks(state);
    await finishDirTimes(state);
  };
  const [fed, consumed] = await Promise.allSettled([
    pipeline(tarStream, extractor as unknown as NodeJS.WritableStream),
    consume(),
  ]);
  // The consumer's own error explains a failure better than the "Premature close" the feeding
  // pipeline reports when the consumer stops reading (an EPERM from chown, say).
  const failure =
    consumed.status === 'rejected' && (consumed.reason instanceof IsobenchError || feedStoppedByConsumer(fed))
      ? consumed.reason
      : fed.status === 'rejected'
        ? fed.reason
        : consumed.status === 'rejected'
          ? consumed.reason
          : undefined;
  if (failure !== undefined) {
    await fs.rm(destDir, { recursive: true, force: true });
    if (isTarFormatError(failure)) {
      throw new UnsafeArchiveError('(archive)', `not a valid tar: ${(failure as Error).message}`, {
        hint: REBUILD_HINT,
        cause: failure,
      });
    }
    throw failure;
  }
  return result;
}
