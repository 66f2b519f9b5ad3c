// Random access into an outer image archive (OCI archive, docker save tar) without unpacking it:
// one pass records where each member's data starts, then members are read by byte range.
// Links inside the archive are resolved lexically here, never on the host filesystem.
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { InputError, IntegrityError, IsobenchError, UnsafeArchiveError } from '../../errors.js';
import { normalizeEntryPath } from '../layer/entry-path.js';

const HINT = 'the archive is hostile or corrupt; export or download it again';
/** A tar header and the unit member data is padded to, in bytes. */
const BLOCK_BYTES = 512;
/** Largest JSON member (index.json, manifest, config) read into memory, in bytes. */
export const MAX_JSON_BYTES = 16 * 1024 * 1024;

interface Member {
  kind: 'file' | 'symlink' | 'link' | 'directory';
  /** Byte offset of the data in the archive file. */
  offset: number;
  sizeBytes: number;
  linkname?: string;
}

export interface TarIndex {
  file: string;
  has(name: string): boolean;
  /** Size of a member's data, after resolving links. */
  sizeOf(name: string): number;
  /** A stream of a member's data (links resolved inside the archive). */
  open(name: string): NodeJS.ReadableStream;
  /** A member's data in memory (at most `maxBytes`). */
  read(name: string, maxBytes?: number): Promise<Buffer>;
  /** The first `count` bytes of a member. */
  head(name: string, count: number): Promise<Buffer>;
}

function refuse(entry: string, why: string): never {
  throw new UnsafeArchiveError(entry, why, { hint: HINT });
}

const NOT_AN_ARCHIVE_HINT = 'give an OCI archive (`isobench image export`, skopeo oci-archive:) or a `docker save` tar';

/**
 * What is wrong with a file tar-stream could not read, as an InputError: not a tar at all (no
 * valid first header), or a tar that ends early or turns to garbage after `last`, with the byte.
 */
async function tarFormatError(
  file: string,
  failure: unknown,
  last: { name: string; offset: number; sizeBytes: number } | undefined,
): Promise<InputError> {
  const message = failure instanceof Error ? failure.message : String(failure);
  if (last === undefined) {
    return new InputError(`${file} is not a tar archive`, { hint: NOT_AN_ARCHIVE_HINT, cause: failure });
  }
  const sizeBytes = (await fs.stat(file)).size;
  if (/Unexpected end of data/.test(message)) {
    return new InputError(
      `${file} is truncated: the archive ends early at byte ${sizeBytes}, in or after '${last.name}'`,
      {
        hint: 'export or download it again',
        cause: failure,
      },
    );
  }
  const next = last.offset + Math.ceil(last.sizeBytes / BLOCK_BYTES) * BLOCK_BYTES;
  return new InputError(`${file} is corrupt: no valid tar header at byte ${next}, after '${last.name}'`, {
    hint: 'export or download it again',
    cause: failure,
  });
}

/**
 * Indexes an uncompressed tar file. Refuses members whose path escapes ('..'), device nodes and
 * FIFOs; symlinks and hardlinks are kept as aliases resolved within the archive on lookup.
 */
export async function indexTarFile(file: string): Promise<TarIndex> {
  const members = new Map<string, Member>();
  // The last member seen, to say where a truncated or corrupt archive stops making sense.
  let last: { name: string; offset: number; sizeBytes: number } | undefined;
  const extractor = tar.extract();
  const consume = async () => {
    for await (const entry of extractor) {
      const { header } = entry;
      entry.resume();
      const rel = normalizeEntryPath(header.name);
      const offset = (header as { byteOffset?: number }).byteOffset;
      if (typeof offset !== 'number') throw new Error('tar-stream did not report byteOffset');
      last = { name: header.name, offset, sizeBytes: header.size ?? 0 };
      switch (header.type) {
        case 'file':
        case 'contiguous-file':
          members.set(rel, { kind: 'file', offset, sizeBytes: header.size });
          break;
        case 'directory':
          members.set(rel, { kind: 'directory', offset, sizeBytes: 0 });
          break;
        case 'symlink':
          members.set(rel, { kind: 'symlink', offset, sizeBytes: 0, linkname: header.linkname });
          break;
        case 'link':
          members.set(rel, { kind: 'link', offset, sizeBytes: 0, linkname: normalizeEntryPath(header.linkname ?? '') });
          break;
        default:
          refuse(header.name, `a ${header.type} has no place in an image archive`);
      }
    }
  };
  const [fed, consumed] = await Promise.allSettled([
    pipeline(createReadStream(file), extractor as unknown as NodeJS.WritableStream),
    consume(),
  ]);
  if (consumed.status === 'rejected' && consumed.reason instanceof IsobenchError) throw consumed.reason;
  const failure = fed.status === 'rejected' ? fed.reason : consumed.status === 'rejected' ? consumed.reason : undefined;
  if (failure !== undefined) throw await tarFormatError(file, failure, last);

  const resolve = (name: string): Member => {
    let rel = normalizeEntryPath(name);
    for (let hops = 0; hops < 16; hops++) {
      // Resolve links in parent components first, then the member itself.
      const parts = rel.split('/');
      let changed = false;
      for (let i = 1; i <= parts.length && !changed; i++) {
        const prefix = parts.slice(0, i).join('/');
        const member = members.get(prefix);
        if (member?.kind === 'link') {
          rel = [member.linkname!, ...parts.slice(i)].join('/');
          changed = true;
        } else if (member?.kind === 'symlink') {
          const target = member.linkname ?? '';
          if (target.startsWith('/')) refuse(prefix, `symlink to absolute path '${target}' in an image archive`);
          const base = path.posix.dirname(prefix) === '.' ? '' : path.posix.dirname(prefix);
          rel = normalizeEntryPath([base, target, ...parts.slice(i)].filter((p) => p !== '').join('/'));
          changed = true;
        }
      }
      if (!changed) {
        const member = members.get(rel);
        if (member?.kind !== 'file') {
          throw new IntegrityError(`${file} has no file '${name}'`, { hint: HINT });
        }
        return member;
      }
    }
    refuse(name, 'too many levels of links');
  };

  const open = (name: string): NodeJS.ReadableStream => {
    const member = resolve(name);
    if (member.sizeBytes === 0) return Readable.from([]);
    return createReadStream(file, { start: member.offset, end: member.offset + member.sizeBytes - 1 });
  };

  return {
    file,
    has(name) {
      try {
        resolve(name);
        return true;
      } catch {
        return false;
      }
    },
    sizeOf: (name) => resolve(name).sizeBytes,
    open,
    async read(name, maxBytes = MAX_JSON_BYTES) {
      const member = resolve(name);
      if (member.sizeBytes > maxBytes) refuse(name, `${member.sizeBytes} bytes is too large for a metadata file`);
      return readRange(file, member.offset, member.sizeBytes);
    },
    async head(name, count) {
      const member = resolve(name);
      return readRange(file, member.offset, Math.min(count, member.sizeBytes));
    },
  };
}

async function readRange(file: string, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const handle = await fs.open(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) throw new IntegrityError(`${file} is truncated`, { hint: HINT });
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return buffer;
}
