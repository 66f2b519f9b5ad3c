// Getting layers into the store: one pass over a tar that hashes, (re)compresses, writes the blob
// and extracts it, then renames both into place; and unpacking a stored blob on demand.
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { IntegrityError, IsobenchError, NotFoundError } from '../../errors.js';
import type { RootLayout } from '../../paths.js';
import { fsyncDir } from '../../util/atomic.js';
import { DigestStream, digestHex } from '../digest.js';
import { createDecompressor } from '../layer/decompress.js';
import { extractLayer } from '../layer/extract-layer.js';
import { layerCompression, MEDIA_TYPE } from '../media-types.js';
import type { LayerInfo } from '../types.js';

const REIMPORT_HINT = 'remove the image with `isobench image rm` and rebuild or re-import it';

export function blobFile(layout: RootLayout, digest: string): string {
  return path.join(layout.images, 'blobs', 'sha256', digestHex(digest));
}

export function layerDir(layout: RootLayout, diffId: string): string {
  return path.join(layout.layers, digestHex(diffId));
}

/** Passes data through and copies it into `side` (with backpressure from both). Ends `side` at the end. */
class TeeStream extends Transform {
  constructor(private readonly side: NodeJS.WritableStream & { destroyed?: boolean }) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.side.write(chunk)) {
      callback(null, chunk);
      return;
    }
    const done = (error?: Error) => {
      this.side.removeListener('drain', onDrain);
      this.side.removeListener('close', onClose);
      callback(error ?? null, error ? undefined : chunk);
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the blob writer closed early'));
    this.side.once('drain', onDrain);
    this.side.once('close', onClose);
  }

  override _flush(callback: TransformCallback): void {
    this.side.end();
    callback();
  }
}

/**
 * Runs `streams` into a PassThrough consumed by `consume`, and reports the most telling error:
 * a typed error from the consumer (e.g. UnsafeArchiveError) beats the pipeline's premature close.
 */
async function feedInto<T>(
  streams: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream>,
  consume: (s: Readable) => Promise<T>,
) {
  const out = new PassThrough();
  const piping = pipeline([...streams, out] as ReadonlyArray<NodeJS.ReadableStream | NodeJS.WritableStream>);
  const [fed, consumed] = await Promise.allSettled([piping, consume(out)]);
  if (consumed.status === 'rejected' && consumed.reason instanceof IsobenchError) throw consumed.reason;
  if (fed.status === 'rejected') throw fed.reason;
  if (consumed.status === 'rejected') throw consumed.reason;
  return consumed.value;
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames a finished blob and unpacked dir into place; an existing copy (same digest) wins. */
async function publish(layout: RootLayout, work: string, info: LayerInfo): Promise<void> {
  const blob = blobFile(layout, info.digest);
  await fsyncFile(path.join(work, 'blob'));
  // rename(2) over an existing blob of the same digest is harmless: same content.
  await fs.rename(path.join(work, 'blob'), blob);
  await fsyncDir(path.dirname(blob));
  try {
    await fs.rename(path.join(work, 'rootfs'), layerDir(layout, info.diffId));
    await fsyncDir(layout.layers);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Already unpacked (another build or process got there first): keep theirs.
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
}

async function makeWorkDir(layout: RootLayout): Promise<string> {
  await fs.mkdir(layout.tmp, { recursive: true, mode: 0o700 });
  return fs.mkdtemp(path.join(layout.tmp, 'layer-'));
}

/**
 * Stores an UNCOMPRESSED tar as a gzip layer: hashes the tar (diff_id) and the gzip stream (blob
 * digest), extracts it with the safety rules into a temp dir, then renames blob and dir into place.
 * A layer that fails a rule never reaches blobs/ or layers/.
 */
export async function ingestTar(layout: RootLayout, tar: NodeJS.ReadableStream): Promise<LayerInfo> {
  const work = await makeWorkDir(layout);
  try {
    const diffHash = new DigestStream();
    const blobHash = new DigestStream();
    const gzip = createGzip();
    const writingBlob = pipeline(gzip, blobHash, createWriteStream(path.join(work, 'blob')));
    const extracting = feedInto([tar, diffHash, new TeeStream(gzip)], (s) =>
      extractLayer(s, path.join(work, 'rootfs')),
    );
    const [extracted, written] = await Promise.allSettled([extracting, writingBlob]);
    if (extracted.status === 'rejected') {
      gzip.destroy();
      throw extracted.reason;
    }
    if (written.status === 'rejected') throw written.reason;
    const info: LayerInfo = {
      digest: blobHash.digest(),
      diffId: diffHash.digest(),
      sizeBytes: blobHash.sizeBytes,
      mediaType: MEDIA_TYPE.ociLayerGzip,
    };
    await publish(layout, work, info);
    return info;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

export interface ExpectedLayer {
  digest?: string;
  diffId?: string;
}

function checkExpected(info: LayerInfo, expected: ExpectedLayer | undefined): void {
  if (expected?.digest !== undefined && expected.digest !== info.digest) {
    throw new IntegrityError(`layer blob ${expected.digest} is corrupt: its content hashes to ${info.digest}`, {
      hint: 'the archive is corrupt or was altered; export or download it again',
    });
  }
  if (expected?.diffId !== undefined && expected.diffId !== info.diffId) {
    throw new IntegrityError(
      `layer ${info.digest} uncompresses to ${info.diffId}, but the image config expects diff_id ${expected.diffId}`,
      { hint: 'the archive is corrupt or was altered; export or download it again' },
    );
  }
}

/**
 * Stores an already compressed (or plain) layer blob AS IS, so its digest and the manifest that
 * names it survive import/export unchanged. Decompresses (gzip, zstd, none) while extracting;
 * checks `expected` digests before anything is renamed into place.
 */
export async function ingestBlob(
  layout: RootLayout,
  blob: NodeJS.ReadableStream,
  mediaType: string,
  expected?: ExpectedLayer,
): Promise<LayerInfo> {
  const compression = layerCompression(mediaType);
  const work = await makeWorkDir(layout);
  try {
    const blobHash = new DigestStream();
    const diffHash = new DigestStream();
    const file = createWriteStream(path.join(work, 'blob'));
    const fileDone = new Promise<void>((resolve, reject) => {
      file.on('finish', resolve);
      file.on('error', reject);
    });
    fileDone.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    try {
      await feedInto([blob, blobHash, new TeeStream(file), createDecompressor(compression), diffHash], (s) =>
        extractLayer(s, path.join(work, 'rootfs')),
      );
    } catch (error) {
      file.destroy();
      if (error instanceof IsobenchError) throw error;
      throw new IntegrityError(`a ${mediaType} layer blob cannot be decompressed: ${(error as Error).message}`, {
        hint: 'the archive is corrupt or was altered; export or download it again',
        cause: error,
      });
    }
    await fileDone;
    const info: LayerInfo = {
      digest: blobHash.digest(),
      diffId: diffHash.digest(),
      sizeBytes: blobHash.sizeBytes,
      mediaType,
    };
    checkExpected(info, expected);
    await publish(layout, work, info);
    return info;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/**
 * Unpacks a stored layer blob into layers/<diffId hex>, verifying the blob digest and the
 * diff_id while extracting; the temp dir is renamed into place only when both match.
 */
export async function unpackStoredLayer(layout: RootLayout, layer: LayerInfo): Promise<string> {
  const target = layerDir(layout, layer.diffId);
  const source = blobFile(layout, layer.digest);
  try {
    await fs.access(source);
  } catch {
    throw new NotFoundError(`layer blob ${layer.digest} is missing from the store`, { hint: REIMPORT_HINT });
  }
  // Hash the blob first: a corrupt blob is then reported as such, not as a malformed tar.
  const blobHash = new DigestStream();
  await pipeline(createReadStream(source), blobHash, new PassThrough().resume());
  if (blobHash.digest() !== layer.digest) {
    throw new IntegrityError(`layer blob ${layer.digest} is corrupt: its content hashes to ${blobHash.digest()}`, {
      hint: REIMPORT_HINT,
    });
  }
  const work = await makeWorkDir(layout);
  try {
    const diffHash = new DigestStream();
    const unpacked = path.join(work, 'rootfs');
    try {
      await feedInto([createReadStream(source), createDecompressor(layerCompression(layer.mediaType)), diffHash], (s) =>
        extractLayer(s, unpacked),
      );
    } catch (error) {
      if (error instanceof IsobenchError) throw error;
      throw new IntegrityError(`layer blob ${layer.digest} cannot be unpacked: ${(error as Error).message}`, {
        hint: REIMPORT_HINT,
        cause: error,
      });
    }
    if (diffHash.digest() !== layer.diffId) {
      throw new IntegrityError(
        `layer blob ${layer.digest} uncompresses to diff_id ${diffHash.digest()}, but the image expects ${layer.diffId}`,
        { hint: REIMPORT_HINT },
      );
    }
    try {
      await fs.rename(unpacked, target);
      await fsyncDir(layout.layers);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    return target;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
