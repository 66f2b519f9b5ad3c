// The content-addressed image store: an OCI image layout (images/) plus unpacked layer dirs
// (layers/<diff_id hex>) that serve as overlay lower dirs.
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { ConflictError, InputError, IntegrityError, NotFoundError } from '../errors.js';
import { type RootLayout, rootLayout } from '../paths.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { withLock } from '../util/lock.js';
import { digestHex, isDigest, sha256Digest } from './digest.js';
import { normalizeImageRef, parseImageRef } from './image-ref.js';
import { MEDIA_TYPE } from './media-types.js';
import { measureDirBytes } from './store/dir-usage.js';
import {
  addUntagged,
  type ImageIndex,
  type IndexEntry,
  moveRef,
  REF_ANNOTATION,
  readIndex,
  refOf,
  writeIndex,
} from './store/index-file.js';
import {
  blobFile,
  type ExpectedLayer,
  ingestBlob,
  ingestTar,
  layerDir,
  unpackStoredLayer,
} from './store/layer-ingest.js';
import { buildManifest, parseConfig, parseManifest } from './store/manifest.js';
import type { LayerInfo, OciImageConfig, StoredImage } from './types.js';

export { parseImageRef } from './image-ref.js';

const REBUILD_HINT = 'remove the image with `isobench image rm` and rebuild or re-import it';
const IMAGES_LOCK = 'images';

/** Disk usage of one image; see {@link ImageStore.diskUsage} for what is counted. */
export interface ImageDiskUsage {
  image: StoredImage;
  /** Blobs (compressed, as stored) + unpacked layer dirs (allocated blocks), in bytes. */
  sizeBytes: number;
  /** Part of sizeBytes in layers that other images use too. */
  sharedBytes: number;
  /** sizeBytes - sharedBytes: what removing only this image would free. */
  uniqueBytes: number;
}

/** A manifest ready to enter the index, with the refs it should carry. */
export interface PendingManifest {
  manifest: Buffer;
  refs: string[];
  /** Media type from the descriptor that named it (manifests may omit their own). */
  mediaType?: string;
}

/**
 * Why the store could not be set up under `root`: a recursive mkdir on a read-only file system
 * reports ENOENT, so the root itself is asked whether it can be written.
 */
async function setUpError(root: string, error: unknown): Promise<unknown> {
  let why: string | undefined;
  try {
    await fs.access(root, fsConstants.W_OK);
  } catch (access) {
    why = (access as NodeJS.ErrnoException).code;
  }
  if (why === undefined) return error;
  return new InputError(`cannot set up the image store in the state root ${root}: it is not writable (${why})`, {
    hint: 'give --root (or ISOBENCH_ROOT) a writable directory, or one where an image store was set up before',
    cause: error,
  });
}

export class ImageStore {
  readonly layout: RootLayout;

  private constructor(layout: RootLayout) {
    this.layout = layout;
  }

  /**
   * Opens the store under state root `root`, creating an empty OCI layout if missing.
   * @throws InputError when the store is not set up and the root cannot be written.
   */
  static async open(root: string): Promise<ImageStore> {
    const layout = rootLayout(root);
    try {
      await fs.mkdir(path.join(layout.images, 'blobs', 'sha256'), { recursive: true });
      for (const dir of [layout.layers, layout.tmp, layout.locks]) await fs.mkdir(dir, { recursive: true });
    } catch (error) {
      throw await setUpError(root, error);
    }
    const store = new ImageStore(layout);
    const layoutFile = path.join(layout.images, 'oci-layout');
    if (!(await exists(layoutFile))) await writeJsonAtomic(layoutFile, { imageLayoutVersion: '1.0.0' });
    if (!(await exists(path.join(layout.images, 'index.json')))) {
      await withLock(layout.locks, IMAGES_LOCK, async () => {
        if (!(await exists(path.join(layout.images, 'index.json')))) {
          await writeIndex(layout.images, { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: [] });
        }
      });
    }
    return store;
  }

  /** Path of a blob (digest validated first, so no digest can name a path outside blobs/). */
  blobPath(digest: string): string {
    return blobFile(this.layout, digest);
  }

  /** Reads a blob and checks its digest; IntegrityError if it is missing or altered. */
  async readBlob(digest: string): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await fs.readFile(this.blobPath(digest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new IntegrityError(`blob ${digest} is missing from the store`, { hint: REBUILD_HINT });
    }
    const actual = sha256Digest(data);
    if (actual !== digest) {
      throw new IntegrityError(`blob ${digest} is corrupt: its content hashes to ${actual}`, { hint: REBUILD_HINT });
    }
    return data;
  }

  /** Writes a small blob (manifest, config) unless present; returns its digest. */
  async writeBlob(data: Buffer): Promise<string> {
    const digest = sha256Digest(data);
    if (!(await exists(this.blobPath(digest)))) await writeFileAtomic(this.blobPath(digest), data);
    return digest;
  }

  /**
   * Resolves "name", "name:tag", "sha256:<hex>" or a unique manifest-digest hex prefix (>= 12 chars).
   * A hex string that matches no digest is tried as a name.
   */
  async resolve(ref: string): Promise<StoredImage> {
    const index = await readIndex(this.layout.images);
    const digest = matchDigest(index, ref);
    if (digest !== undefined) return this.loadImage(index, digest);
    const wanted = normalizeImageRef(ref);
    const candidates = shortNameCandidates(wanted);
    const byRef = (candidate: string) =>
      index.manifests.find((e) => refOf(e) !== undefined && normalizeRefLenient(refOf(e)!) === candidate);
    const entry = candidates.map(byRef).find((e) => e !== undefined);
    if (entry === undefined) {
      const tried = candidates.length > 1 ? ` (tried ${candidates.join(', ')})` : '';
      throw new NotFoundError(`no image ${wanted}${tried}`, {
        hint: `list images with \`isobench image ls\`, or build one with \`isobench image build -t ${parseImageRef(ref).name} scenarios/images/${parseImageRef(ref).name.split('/').pop()}\``,
      });
    }
    return this.loadImage(index, entry.digest);
  }

  /** Every image in the index (tagged and untagged), one per manifest, in index order. */
  async list(): Promise<StoredImage[]> {
    const index = await readIndex(this.layout.images);
    const digests = [...new Set(index.manifests.map((e) => e.digest))];
    return Promise.all(digests.map((d) => this.loadImage(index, d)));
  }

  /**
   * Overlay lower dirs for an image, TOPMOST layer first (the order overlayfs's lowerdir= wants).
   * Missing dirs are unpacked from their blobs, verifying the blob digest and the diff_id.
   */
  async lowerDirs(image: StoredImage): Promise<string[]> {
    const dirs: string[] = [];
    for (const layer of [...image.layers].reverse()) {
      const dir = layerDir(this.layout, layer.diffId);
      const stat = await fs.lstat(dir).catch(() => undefined);
      dirs.push(stat?.isDirectory() ? dir : await unpackStoredLayer(this.layout, layer));
    }
    return dirs;
  }

  /**
   * Adds a layer from an UNCOMPRESSED tar: validates every entry (safety rules of extractLayer),
   * stores it gzip-compressed and unpacked. Nothing reaches blobs/ or layers/ if any entry is refused.
   */
  async addLayer(tar: NodeJS.ReadableStream): Promise<LayerInfo> {
    return ingestTar(this.layout, tar);
  }

  /**
   * Adds a layer blob as it is (gzip, zstd or plain tar per `mediaType`, OCI or Docker types): the
   * blob is NOT recompressed, so digests and manifests survive import/export unchanged. `expected`
   * digests are checked before anything is renamed into place.
   */
  async addCompressedLayer(
    blob: NodeJS.ReadableStream,
    mediaType: string,
    expected?: ExpectedLayer,
  ): Promise<LayerInfo> {
    return ingestBlob(this.layout, blob, mediaType, expected);
  }

  /** True when the blob and the unpacked dir of a layer are both present (no re-ingest needed). */
  async hasLayer(digest: string, diffId: string): Promise<boolean> {
    return (await exists(this.blobPath(digest))) && (await exists(layerDir(this.layout, diffId)));
  }

  /**
   * Writes the config and an OCI manifest for `layers` (bottom first), then adds the manifest to the
   * index; `ref` ("name[:tag]") moves to it. config.rootfs.diff_ids must equal the layers' diffIds.
   */
  async commitImage(input: { config: OciImageConfig; layers: LayerInfo[]; ref?: string }): Promise<StoredImage> {
    const diffIds = input.layers.map((l) => l.diffId);
    const configDiffIds = input.config.rootfs.diff_ids;
    if (configDiffIds.length !== diffIds.length || configDiffIds.some((d, i) => d !== diffIds[i])) {
      throw new InputError('config.rootfs.diff_ids does not match the layers being committed', {
        hint: 'set rootfs.diff_ids to the diffId of each layer, bottom first',
      });
    }
    const configBytes = Buffer.from(JSON.stringify(input.config));
    const configDigest = await this.writeBlob(configBytes);
    const manifest = buildManifest(
      { mediaType: MEDIA_TYPE.ociConfig, digest: configDigest, size: configBytes.length },
      input.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.sizeBytes })),
    );
    const refs = input.ref === undefined ? [] : [normalizeImageRef(input.ref)];
    const [digest] = await this.commitManifests([{ manifest, refs }]);
    return this.resolve(digest!);
  }

  /**
   * Adds manifests (OCI or Docker, written as-is) to the index in ONE atomic update, after checking
   * that every blob they name is present. Used by commitImage and by archive import.
   */
  async commitManifests(pending: PendingManifest[]): Promise<string[]> {
    const parsed: Array<{ digest: string; manifest: ReturnType<typeof parseManifest>; refs: string[]; size: number }> =
      [];
    for (const p of pending) {
      const digest = sha256Digest(p.manifest);
      const manifest = parseManifest(p.manifest, `manifest ${digest}`, p.mediaType);
      parsed.push({ digest, manifest, refs: p.refs.map((r) => normalizeImageRef(r)), size: p.manifest.length });
      await this.writeBlob(p.manifest);
    }
    await withLock(this.layout.locks, IMAGES_LOCK, async () => {
      // A concurrent `image rm` may have collected a shared blob since it was added: check under the lock.
      for (const { digest, manifest } of parsed) {
        for (const d of [manifest.config, ...manifest.layers]) {
          if (!(await exists(this.blobPath(d.digest)))) {
            throw new IntegrityError(`manifest ${digest} names blob ${d.digest}, which is not in the store`, {
              hint: 'build or import the image again',
            });
          }
        }
      }
      let index = await readIndex(this.layout.images);
      for (const { digest, manifest, refs, size } of parsed) {
        const entry: IndexEntry = { mediaType: manifest.mediaType, digest, size };
        index = addUntagged(index, entry);
        for (const ref of refs) index = moveRef(index, ref, entry);
      }
      await writeIndex(this.layout.images, index);
    });
    return parsed.map((p) => p.digest);
  }

  /** Points `ref` ("name[:tag]") at `image`, moving it from any other image. */
  async tag(image: StoredImage, ref: string): Promise<void> {
    const normalized = normalizeImageRef(ref);
    await withLock(this.layout.locks, IMAGES_LOCK, async () => {
      const index = await readIndex(this.layout.images);
      const current = index.manifests.find((e) => e.digest === image.digest);
      if (current === undefined)
        throw new NotFoundError(`no image ${image.digest}`, { hint: 'list images with `isobench image ls`' });
      await writeIndex(this.layout.images, moveRef(index, normalized, current));
    });
  }

  /**
   * Removes a ref. By tag: untags; the image goes only when it was its last ref. By digest: the image
   * goes with all its refs. When an image goes, ConflictError if `isInUse` says a container uses it;
   * then blobs and layer dirs that no remaining manifest names are deleted.
   * NOTE: only the removed image's own blobs are candidates, so blobs of a build that has not
   * committed yet are never swept.
   */
  async remove(
    ref: string,
    options: { isInUse: (image: StoredImage) => Promise<boolean> },
  ): Promise<{ untagged: string; deletedBlobs: number; deletedLayerDirs: number }> {
    return withLock(this.layout.locks, IMAGES_LOCK, async () => {
      const index = await readIndex(this.layout.images);
      const byDigest = matchDigest(index, ref);
      const normalized = byDigest ?? normalizeImageRef(ref);
      const entries = index.manifests.filter((e) =>
        byDigest !== undefined ? e.digest === byDigest : normalizeRefLenient(refOf(e) ?? '') === normalized,
      );
      const digest = entries[0]?.digest;
      if (digest === undefined) {
        throw new NotFoundError(`no image ${normalized}`, { hint: 'list images with `isobench image ls`' });
      }
      const remaining = index.manifests.filter((e) => !entries.includes(e));
      const stillListed = remaining.some((e) => e.digest === digest);
      if (stillListed) {
        await writeIndex(this.layout.images, { ...index, manifests: remaining });
        return { untagged: normalized, deletedBlobs: 0, deletedLayerDirs: 0 };
      }
      const image = await this.loadImage(index, digest).catch((error) => {
        if (error instanceof IntegrityError) return undefined; // a corrupt image can still be removed
        throw error;
      });
      const subject = image ?? brokenImage(digest, entries);
      if (await options.isInUse(subject)) {
        throw new ConflictError(`image ${normalized} is in use by a container`, {
          hint: 'remove the containers that use it first (`isobench ps -a` lists them, `isobench rm -f CONTAINER` removes one), then remove the image',
        });
      }
      await writeIndex(this.layout.images, { ...index, manifests: remaining });
      const collected = await this.collect(remaining, subject);
      return { untagged: normalized, ...collected };
    });
  }

  /**
   * Disk usage per image. Counted: the image's manifest, config and layer blobs (compressed size as
   * stored) plus its unpacked layer dirs (allocated blocks; a dir not unpacked yet counts 0). A layer
   * (blob + dir) used by more than one image is "shared"; manifest and config count as unique.
   */
  async diskUsage(): Promise<ImageDiskUsage[]> {
    const images = await this.list();
    const layerUsers = new Map<string, number>();
    for (const image of images) {
      for (const key of new Set(image.layers.map((l) => l.digest))) layerUsers.set(key, (layerUsers.get(key) ?? 0) + 1);
    }
    const layerBytes = new Map<string, number>();
    const measureLayer = async (layer: LayerInfo): Promise<number> => {
      const cached = layerBytes.get(layer.digest);
      if (cached !== undefined) return cached;
      const bytes =
        (await fileBytes(this.blobPath(layer.digest))) + (await measureDirBytes(layerDir(this.layout, layer.diffId)));
      layerBytes.set(layer.digest, bytes);
      return bytes;
    };
    const usage: ImageDiskUsage[] = [];
    for (const image of images) {
      let sizeBytes =
        (await fileBytes(this.blobPath(image.digest))) + (await fileBytes(this.blobPath(image.configDigest)));
      let sharedBytes = 0;
      for (const layer of uniqueBy(image.layers, (l) => l.digest)) {
        const bytes = await measureLayer(layer);
        sizeBytes += bytes;
        if ((layerUsers.get(layer.digest) ?? 0) > 1) sharedBytes += bytes;
      }
      usage.push({ image, sizeBytes, sharedBytes, uniqueBytes: sizeBytes - sharedBytes });
    }
    return usage;
  }

  /** Checks every blob of every image against its digest; returns the problems found. */
  async verify(): Promise<Array<{ image: string; problem: string }>> {
    const problems: Array<{ image: string; problem: string }> = [];
    const index = await readIndex(this.layout.images);
    for (const digest of new Set(index.manifests.map((e) => e.digest))) {
      try {
        const image = await this.loadImage(index, digest);
        for (const layer of image.layers) await this.readBlob(layer.digest);
      } catch (error) {
        problems.push({ image: digest, problem: (error as Error).message });
      }
    }
    return problems;
  }

  private async loadImage(index: ImageIndex, digest: string): Promise<StoredImage> {
    const entry = index.manifests.find((e) => e.digest === digest);
    const manifest = parseManifest(await this.readBlob(digest), `manifest ${digest}`, entry?.mediaType);
    const configDigest = manifest.config.digest;
    const config = parseConfig(await this.readBlob(configDigest), `config ${configDigest}`);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new IntegrityError(
        `image ${digest}: the config lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers`,
        { hint: REBUILD_HINT },
      );
    }
    const refs = index.manifests
      .filter((e) => e.digest === digest && refOf(e) !== undefined)
      .map((e) => normalizeRefLenient(refOf(e)!));
    return {
      refs: [...new Set(refs)],
      digest,
      configDigest,
      config,
      layers: manifest.layers.map((l, i) => ({
        digest: l.digest,
        diffId: diffIds[i]!,
        sizeBytes: l.size,
        mediaType: l.mediaType,
      })),
    };
  }

  /** Deletes the removed image's blobs and layer dirs that no remaining manifest names. Under the lock. */
  private async collect(remaining: IndexEntry[], removed: StoredImage) {
    const keepBlobs = new Set<string>();
    const keepDiffIds = new Set<string>();
    for (const digest of new Set(remaining.map((e) => e.digest))) {
      keepBlobs.add(digest);
      try {
        const image = await this.loadImage(
          { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: remaining },
          digest,
        );
        keepBlobs.add(image.configDigest);
        for (const l of image.layers) {
          keepBlobs.add(l.digest);
          keepDiffIds.add(l.diffId);
        }
      } catch {
        // A corrupt remaining image keeps nothing alive but its manifest; it cannot be used anyway.
      }
    }
    let deletedBlobs = 0;
    const candidates = [removed.digest, removed.configDigest, ...removed.layers.map((l) => l.digest)].filter(isDigest);
    for (const digest of new Set(candidates)) {
      if (keepBlobs.has(digest)) continue;
      if (await removeIfExists(this.blobPath(digest))) deletedBlobs += 1;
    }
    let deletedLayerDirs = 0;
    for (const diffId of new Set(removed.layers.map((l) => l.diffId))) {
      if (keepDiffIds.has(diffId)) continue;
      const dir = layerDir(this.layout, diffId);
      if (!(await exists(dir))) continue;
      // Rename first, so a crash mid-delete never leaves a partial dir under a complete-looking name.
      const doomed = path.join(this.layout.tmp, `rm-${digestHex(diffId)}-${process.pid}-${Date.now()}`);
      await fs.rename(dir, doomed);
      await fs.rm(doomed, { recursive: true, force: true });
      deletedLayerDirs += 1;
    }
    return { deletedBlobs, deletedLayerDirs };
  }
}

/** The manifest digest `ref` names, if it is a full digest or a unique hex prefix of >= 12 chars. */
function matchDigest(index: ImageIndex, ref: string): string | undefined {
  if (isDigest(ref as unknown)) return index.manifests.some((e) => e.digest === ref) ? ref : undefined;
  const hex = ref.startsWith('sha256:') ? ref.slice(7) : ref;
  if (!/^[0-9a-f]{12,64}$/.test(hex)) {
    if (ref.startsWith('sha256:')) {
      throw new InputError(`invalid digest '${ref}'`, { hint: 'expected sha256:<hex>, at least 12 hex characters' });
    }
    return undefined;
  }
  const matches = [...new Set(index.manifests.map((e) => e.digest).filter((d) => d.startsWith(`sha256:${hex}`)))];
  if (matches.length > 1) {
    throw new InputError(`digest prefix '${ref}' matches ${matches.length} images`, {
      hint: 'give more hex characters',
    });
  }
  if (matches.length === 0 && ref.startsWith('sha256:')) {
    throw new NotFoundError(`no image ${ref}`, { hint: 'list images with `isobench image ls`' });
  }
  return matches[0];
}

/** Refs stored by others (a bare name without tag) still compare equal to "name:latest". */
/**
 * The names a reference may be stored under, in the order they are tried: the exact name first,
 * then, for a short name (no registry or namespace), podman's `localhost/NAME`, which is how
 * `podman save` names an image built locally.
 */
export function shortNameCandidates(normalizedRef: string): string[] {
  return normalizedRef.includes('/') ? [normalizedRef] : [normalizedRef, `localhost/${normalizedRef}`];
}

function normalizeRefLenient(ref: string): string {
  try {
    return normalizeImageRef(ref);
  } catch {
    return ref;
  }
}

function brokenImage(digest: string, entries: IndexEntry[]): StoredImage {
  return {
    refs: entries.map((e) => e.annotations?.[REF_ANNOTATION]).filter((r): r is string => r !== undefined),
    digest,
    configDigest: '',
    config: { architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } },
    layers: [],
  };
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(key(item))) return false;
    seen.add(key(item));
    return true;
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function fileBytes(p: string): Promise<number> {
  try {
    return (await fs.lstat(p)).size;
  } catch {
    return 0;
  }
}

async function removeIfExists(p: string): Promise<boolean> {
  try {
    await fs.unlink(p);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
