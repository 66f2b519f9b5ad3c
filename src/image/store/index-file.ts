// index.json of the store's OCI layout: reading with validation (it is input like any other) and
// atomic replacement.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { IntegrityError } from '../../errors.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { requireDigest } from '../digest.js';
import { MEDIA_TYPE } from '../media-types.js';

/** Annotation holding the full "name:tag" of a manifest entry in our index. */
export const REF_ANNOTATION = 'org.opencontainers.image.ref.name';

/** One manifests[] entry of index.json. An image with several tags has one entry per tag. */
export interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: IndexEntry[];
}

export function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [] };
}

const FIX = 'the store index is corrupt; restore it or move the state root aside and rebuild the images';

/** Validates a parsed index.json; `where` names the file in errors. */
export function validateIndex(value: unknown, where: string): ImageIndex {
  const index = value as Partial<ImageIndex> | null;
  if (typeof index !== 'object' || index === null || !Array.isArray(index.manifests)) {
    throw new IntegrityError(`${where}: expected an OCI index with a manifests array`, { hint: FIX });
  }
  const manifests = index.manifests.map((raw, i): IndexEntry => {
    const entry = raw as Partial<IndexEntry> | null;
    if (typeof entry !== 'object' || entry === null) {
      throw new IntegrityError(`${where}: manifests[${i}] is not an object`, { hint: FIX });
    }
    const digest = requireDigest(entry.digest, `${where} manifests[${i}]`);
    if (typeof entry.mediaType !== 'string' || typeof entry.size !== 'number' || !Number.isSafeInteger(entry.size)) {
      throw new IntegrityError(`${where}: manifests[${i}] needs a mediaType string and an integer size`, { hint: FIX });
    }
    const annotations =
      typeof entry.annotations === 'object' && entry.annotations !== null
        ? Object.fromEntries(Object.entries(entry.annotations).filter(([, v]) => typeof v === 'string'))
        : undefined;
    return { mediaType: entry.mediaType, digest, size: entry.size, ...(annotations ? { annotations } : {}) };
  });
  return { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests };
}

export async function readIndex(imagesDir: string): Promise<ImageIndex> {
  const file = path.join(imagesDir, 'index.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyIndex();
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new IntegrityError(`${file} is not valid JSON`, { hint: FIX, cause: error });
  }
  return validateIndex(parsed, file);
}

/** Replaces index.json atomically. Call only under the 'images' lock. */
export async function writeIndex(imagesDir: string, index: ImageIndex): Promise<void> {
  await writeJsonAtomic(path.join(imagesDir, 'index.json'), index);
}

/** Moves `ref` to `digest`: drops it from any other entry, keeps untagged manifests listed. */
export function moveRef(index: ImageIndex, ref: string, target: IndexEntry): ImageIndex {
  const before = index.manifests;
  const kept = before.filter(
    (e) => e.annotations?.[REF_ANNOTATION] !== ref && !(e.digest === target.digest && !refOf(e)),
  );
  const next: IndexEntry[] = [...kept, { ...target, annotations: { [REF_ANNOTATION]: ref } }];
  // A manifest that just lost its last ref stays in the index, untagged (like Docker's <none>).
  for (const old of before) {
    if (old.annotations?.[REF_ANNOTATION] === ref && !next.some((e) => e.digest === old.digest)) {
      next.push({ mediaType: old.mediaType, digest: old.digest, size: old.size });
    }
  }
  return { ...index, manifests: next };
}

/** Adds a manifest without a ref unless it is already listed. */
export function addUntagged(index: ImageIndex, target: IndexEntry): ImageIndex {
  if (index.manifests.some((e) => e.digest === target.digest)) return index;
  return {
    ...index,
    manifests: [...index.manifests, { mediaType: target.mediaType, digest: target.digest, size: target.size }],
  };
}

export function refOf(entry: IndexEntry): string | undefined {
  return entry.annotations?.[REF_ANNOTATION];
}
