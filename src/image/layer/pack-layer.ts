// Packs a directory (a COPY staging dir or a RUN step's overlay upper dir) into a deterministic
// layer tar: sorted entries, owners/modes/mtimes kept, hardlinks by inode, overlay whiteouts and
// opaque dirs turned into OCI `.wh.` entries.
import { createReadStream, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { UnsafeArchiveError } from '../../errors.js';
import { normalizeEntryPath } from './entry-path.js';

export interface PackOptions {
  /** The dir is an overlay upper dir: char device 0/0 entries are whiteouts. */
  overlayUpper: boolean;
  /** Dirs (relative to the packed dir) that are opaque in the upper dir; each gets `DIR/.wh..wh..opq`. */
  opaqueDirs?: string[];
  /** Later mtimes are written as this one (seconds since 1970): SOURCE_DATE_EPOCH, as BuildKit's rewrite-timestamp. */
  maxMtimeS?: number;
}

/** Largest id a plain ustar header can hold (7 octal digits); bigger ids go into a PAX header. */
const USTAR_MAX_ID = 0o7777777;

type PaxHeaders = Partial<Omit<tar.Header, 'pax'>> & { name: string; pax?: Record<string, string> };

function baseHeader(name: string, stat: Stats, maxMtimeS = Number.POSITIVE_INFINITY): PaxHeaders {
  const mtimeS = Math.min(maxMtimeS, Math.max(0, Math.floor(stat.mtimeMs / 1000)));
  const header: PaxHeaders = {
    name,
    uid: stat.uid,
    gid: stat.gid,
    mode: stat.mode & 0o7777,
    mtime: new Date(mtimeS * 1000),
  };
  if (stat.uid > USTAR_MAX_ID || stat.gid > USTAR_MAX_ID) {
    header.pax = { uid: String(stat.uid), gid: String(stat.gid) };
  }
  return header;
}

function addEntry(pack: tar.Pack, header: PaxHeaders, file?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
    if (file === undefined) {
      sink.end(Buffer.alloc(0));
      return;
    }
    pipeline(createReadStream(file), sink as unknown as NodeJS.WritableStream).catch(reject);
  });
}

/** Sorted names of a directory (byte order, so the tar is the same on every run). */
async function sortedNames(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir);
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * Writes a tar of `dir` to `out` (uncompressed; the caller compresses and hashes). Entries are in
 * depth-first order with sorted names, so equal trees give byte-identical tars. The root itself is
 * not an entry. Sockets are skipped (a tar cannot hold them); device nodes other than overlay
 * whiteouts are refused with UnsafeArchiveError.
 */
export async function packLayerFromDir(dir: string, out: NodeJS.WritableStream, options: PackOptions): Promise<void> {
  const opaque = new Set((options.opaqueDirs ?? []).map((d) => normalizeEntryPath(d)));
  const pack = tar.pack();
  const writing = pipeline(pack as unknown as NodeJS.ReadableStream, out);
  // Hardlinks: first path seen for each multiply-linked inode.
  const inodes = new Map<string, string>();

  const walk = async (rel: string): Promise<void> => {
    const absDir = rel === '' ? dir : path.join(dir, rel);
    if (opaque.has(rel)) {
      const stat = await fs.lstat(absDir);
      const name = rel === '' ? '.wh..wh..opq' : `${rel}/.wh..wh..opq`;
      await addEntry(pack, { ...baseHeader(name, stat, options.maxMtimeS), mode: 0o644 });
    }
    for (const name of await sortedNames(absDir)) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const absChild = path.join(absDir, name);
      const stat = await fs.lstat(absChild);
      const header = baseHeader(childRel, stat, options.maxMtimeS);
      if (stat.isDirectory()) {
        await addEntry(pack, { ...header, type: 'directory' });
        await walk(childRel);
      } else if (stat.isFile()) {
        const key = `${stat.dev}:${stat.ino}`;
        const first = stat.nlink > 1 ? inodes.get(key) : undefined;
        if (first !== undefined) {
          await addEntry(pack, { ...header, type: 'link', linkname: first, size: 0 });
        } else {
          if (stat.nlink > 1) inodes.set(key, childRel);
          await addEntry(pack, { ...header, type: 'file', size: stat.size }, absChild);
        }
      } else if (stat.isSymbolicLink()) {
        await addEntry(pack, { ...header, type: 'symlink', linkname: await fs.readlink(absChild) });
      } else if (stat.isCharacterDevice() && stat.rdev === 0 && options.overlayUpper) {
        const whiteout = rel === '' ? `.wh.${name}` : `${rel}/.wh.${name}`;
        await addEntry(pack, { ...header, name: whiteout, type: 'file', mode: 0, size: 0 });
      } else if (stat.isFIFO()) {
        await addEntry(pack, { ...header, type: 'fifo' });
      } else if (stat.isSocket()) {
        // Nothing to archive: a socket only exists while its server runs.
      } else {
        throw new UnsafeArchiveError(childRel, 'device nodes cannot go into a layer', {
          hint: 'remove the device node in the build step (containers get /dev at run time)',
        });
      }
    }
  };

  try {
    await walk('');
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await writing.catch(() => {});
    throw error;
  }
  await writing;
}
