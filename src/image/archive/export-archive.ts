// Exports one image as an OCI archive (a tar of an OCI image layout), written atomically.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { IntegrityError } from '../../errors.js';
import { checkOutputFile, fsyncDir, outputFileError } from '../../util/atomic.js';
import { DigestStream, digestHex } from '../digest.js';
import { MEDIA_TYPE } from '../media-types.js';
import { parseManifest } from '../store/manifest.js';
import type { ImageStore } from '../store.js';

/** Fixed mtime for every member, so exporting the same image twice gives the same bytes. */
const EPOCH = new Date(0);

type Entry = { name: string; type: 'directory' | 'file'; size?: number; data?: Buffer; file?: string; digest?: string };

function addEntry(pack: tar.Pack, entry: Entry): Promise<void> {
  return new Promise((resolve, reject) => {
    const header = {
      name: entry.name,
      type: entry.type,
      mode: entry.type === 'directory' ? 0o755 : 0o644,
      mtime: EPOCH,
      size: entry.data?.length ?? entry.size ?? 0,
    };
    const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
    if (entry.file === undefined) {
      sink.end(entry.data ?? Buffer.alloc(0));
      return;
    }
    // Blobs are re-verified on the way out: never export a corrupted store.
    const hash = new DigestStream();
    pipeline(createReadStream(entry.file), hash, sink as unknown as NodeJS.WritableStream)
      .then(() => {
        if (hash.digest() !== entry.digest) {
          const error = new IntegrityError(`blob ${entry.digest} is corrupt: its content hashes to ${hash.digest()}`, {
            hint: 'remove the image with `isobench image rm` and rebuild or re-import it',
          });
          pack.destroy(error);
          reject(error);
        }
      })
      .catch(reject);
  });
}

/**
 * Writes image `ref` to `file` as an OCI archive whose index.json names it with
 * org.opencontainers.image.ref.name = "name:tag" (and io.containerd.image.name, read by docker load).
 * The file appears complete or not at all (temp file beside it, fsync, rename).
 * @throws InputError when `file` cannot be written (no such directory, a directory), before any work.
 */
export async function exportArchive(store: ImageStore, ref: string, file: string): Promise<void> {
  await checkOutputFile(file);
  const image = await store.resolve(ref);
  const refName = image.refs.includes(ref) ? ref : (image.refs.find((r) => r === `${ref}:latest`) ?? image.refs[0]);
  const manifestBytes = await store.readBlob(image.digest);
  const manifest = parseManifest(manifestBytes, `manifest ${image.digest}`);
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociIndex,
    manifests: [
      {
        mediaType: manifest.mediaType,
        digest: image.digest,
        size: manifestBytes.length,
        ...(refName !== undefined
          ? { annotations: { 'io.containerd.image.name': refName, 'org.opencontainers.image.ref.name': refName } }
          : {}),
      },
    ],
  };
  const blobs = [...new Set([image.digest, image.configDigest, ...image.layers.map((l) => l.digest)])];
  const target = path.resolve(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const pack = tar.pack();
  const writing = pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(temp, { mode: 0o644 }));
  try {
    await addEntry(pack, { name: 'oci-layout', type: 'file', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') });
    await addEntry(pack, { name: 'index.json', type: 'file', data: Buffer.from(JSON.stringify(index)) });
    await addEntry(pack, { name: 'blobs', type: 'directory' });
    await addEntry(pack, { name: 'blobs/sha256', type: 'directory' });
    for (const digest of blobs) {
      const blobPath = store.blobPath(digest);
      const { size } = await fs.stat(blobPath);
      await addEntry(pack, { name: `blobs/sha256/${digestHex(digest)}`, type: 'file', size, file: blobPath, digest });
    }
    pack.finalize();
    await writing;
    const handle = await fs.open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target).catch((error: unknown) => {
      throw outputFileError(file, error);
    });
    await fsyncDir(path.dirname(target));
  } catch (error) {
    pack.destroy(error as Error);
    await writing.catch(() => {});
    await fs.rm(temp, { force: true });
    throw error;
  }
}
