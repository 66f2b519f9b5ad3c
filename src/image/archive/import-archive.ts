// Imports images from an OCI archive (skopeo oci-archive:, a tarred umoci layout) or a `docker save`
// tar (legacy manifest.json; an OCI index is preferred when both are present). Every blob is
// verified and every layer passes the safety rules before ONE index update commits the images.
import { createReadStream, createWriteStream, promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { InputError, IntegrityError } from '../../errors.js';
import { digestHex, requireDigest, sha256Digest } from '../digest.js';
import { nameFromFile, normalizeImageRef, stripDefaultRegistry } from '../image-ref.js';
import { isIndexMediaType, isManifestMediaType, MEDIA_TYPE, sniffCompression } from '../media-types.js';
import { validateIndex } from '../store/index-file.js';
import { buildManifest, parseConfig, parseManifest } from '../store/manifest.js';
import type { ImageStore, PendingManifest } from '../store.js';
import type { LayerInfo, StoredImage } from '../types.js';
import { indexTarFile, type TarIndex } from './tar-index.js';

const HINT = 'the archive is corrupt or was altered; export or download it again';
const CONTAINERD_NAME = 'io.containerd.image.name';
const OCI_REF_NAME = 'org.opencontainers.image.ref.name';

export interface ImportOptions {
  /** "name[:tag]" for the imported image; only valid when the archive holds exactly one image. */
  ref?: string;
}

/** One image found in the archive, before anything is committed. */
interface PlannedImage {
  /** The manifest as found (kept byte-for-byte), or undefined for legacy docker save entries. */
  manifest?: Buffer;
  mediaType?: string;
  configBytes: Buffer;
  layers: Array<{ member: string; mediaType: string; digest?: string; diffId: string }>;
  refs: string[];
}

function blobMember(digest: string): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

async function readVerified(archive: TarIndex, digest: string, size: number, what: string): Promise<Buffer> {
  const member = blobMember(requireDigest(digest, what));
  if (!archive.has(member)) throw new IntegrityError(`${what} ${digest} is missing from the archive`, { hint: HINT });
  const data = await archive.read(member);
  if (data.length !== size || sha256Digest(data) !== digest) {
    throw new IntegrityError(`${what} ${digest} in the archive is corrupt (size or digest mismatch)`, { hint: HINT });
  }
  return data;
}

function parseJson(data: Buffer, where: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new IntegrityError(`${where} is not valid JSON`, { hint: HINT, cause: error });
  }
}

/**
 * Refs from an index entry's annotations. containerd/docker put the full name in
 * io.containerd.image.name; skopeo and umoci put only the TAG in org.opencontainers.image.ref.name
 * for oci: layouts, while we (and others) put "name:tag" there. A value with ':' or '/' is taken as
 * a full reference; a bare value is a tag, and the name comes from the archive's file name.
 */
function refsFromAnnotations(annotations: Record<string, string> | undefined, file: string): string[] {
  const full = annotations?.[CONTAINERD_NAME];
  if (full !== undefined) return [stripDefaultRegistry(full)];
  const refName = annotations?.[OCI_REF_NAME];
  if (refName === undefined) return [];
  if (refName.includes(':') || refName.includes('/')) return [stripDefaultRegistry(refName)];
  const name = nameFromFile(path.basename(file));
  return name === undefined ? [] : [`${name}:${refName}`];
}

async function planManifest(archive: TarIndex, digest: string, size: number, mediaType: string): Promise<PlannedImage> {
  const manifestBytes = await readVerified(archive, digest, size, 'manifest');
  const manifest = parseManifest(manifestBytes, `manifest ${digest}`, mediaType);
  const configBytes = await readVerified(archive, manifest.config.digest, manifest.config.size, 'config');
  const config = parseConfig(configBytes, `config ${manifest.config.digest}`);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new IntegrityError(
      `manifest ${digest}: ${manifest.layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids`,
      {
        hint: HINT,
      },
    );
  }
  const layers = manifest.layers.map((l, i) => {
    const member = blobMember(l.digest);
    if (!archive.has(member) || archive.sizeOf(member) !== l.size) {
      throw new IntegrityError(`layer ${l.digest} is missing from the archive or has the wrong size`, { hint: HINT });
    }
    return { member, mediaType: l.mediaType, digest: l.digest, diffId: config.rootfs.diff_ids[i]! };
  });
  return { manifest: manifestBytes, mediaType: manifest.mediaType, configBytes, layers, refs: [] };
}

/** Picks the linux manifest for this host's architecture from a nested (multi-platform) index. */
function pickPlatform(manifests: Array<{ digest: string; size: number; mediaType: string; platform?: unknown }>) {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch;
  const match = manifests.find((m) => {
    const p = m.platform as { os?: string; architecture?: string } | undefined;
    return p === undefined || (p.os === 'linux' && p.architecture === arch);
  });
  if (match === undefined) {
    throw new InputError(`the archive holds no linux/${arch} image`, { hint: 'export the image for this platform' });
  }
  return match;
}

async function planOciArchive(archive: TarIndex, file: string): Promise<PlannedImage[]> {
  const index = validateIndex(parseJson(await archive.read('index.json'), 'index.json'), `${file} index.json`);
  const plans: PlannedImage[] = [];
  for (const entry of index.manifests) {
    let target = entry;
    if (isIndexMediaType(entry.mediaType)) {
      const nested = parseJson(await readVerified(archive, entry.digest, entry.size, 'index'), `index ${entry.digest}`);
      const inner = validateIndex(nested, `index ${entry.digest}`);
      const raw = (nested as { manifests: Array<{ platform?: unknown }> }).manifests;
      target = pickPlatform(inner.manifests.map((m, i) => ({ ...m, platform: raw[i]?.platform })));
    }
    if (!isManifestMediaType(target.mediaType)) continue; // e.g. attestations, signatures
    const plan = await planManifest(archive, target.digest, target.size, target.mediaType);
    plan.refs = refsFromAnnotations(entry.annotations, file);
    plans.push(plan);
  }
  return plans;
}

async function planDockerSave(archive: TarIndex): Promise<PlannedImage[]> {
  const list = parseJson(await archive.read('manifest.json'), 'manifest.json');
  if (!Array.isArray(list)) throw new IntegrityError('manifest.json: expected an array', { hint: HINT });
  const plans: PlannedImage[] = [];
  for (const [i, raw] of list.entries()) {
    const item = raw as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    if (
      typeof item.Config !== 'string' ||
      !Array.isArray(item.Layers) ||
      !item.Layers.every((l) => typeof l === 'string')
    ) {
      throw new IntegrityError(`manifest.json[${i}]: expected Config and Layers`, { hint: HINT });
    }
    const configBytes = await archive.read(item.Config);
    const config = parseConfig(configBytes, `config ${item.Config}`);
    if (config.rootfs.diff_ids.length !== item.Layers.length) {
      throw new IntegrityError(
        `manifest.json[${i}]: ${item.Layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids`,
        {
          hint: HINT,
        },
      );
    }
    const layers = [];
    for (const [j, member] of (item.Layers as string[]).entries()) {
      const compression = sniffCompression(await archive.head(member, 4));
      const mediaType =
        compression === 'gzip'
          ? MEDIA_TYPE.ociLayerGzip
          : compression === 'zstd'
            ? MEDIA_TYPE.ociLayerZstd
            : MEDIA_TYPE.ociLayerTar;
      const diffId = config.rootfs.diff_ids[j]!;
      // An uncompressed layer's blob digest is its diff_id.
      layers.push({ member, mediaType, diffId, ...(compression === 'none' ? { digest: diffId } : {}) });
    }
    const tags = Array.isArray(item.RepoTags) ? item.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    plans.push({ configBytes, layers, refs: tags.map(stripDefaultRegistry) });
  }
  return plans;
}

const ARCHIVE_HINT = 'give the path of an OCI archive or a `docker save` tar';

/** Refuses what cannot be an archive file (missing, a directory, empty) before anything is written. */
async function checkArchiveFile(file: string): Promise<void> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(file);
    await fs.access(file, fsConstants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot read it (${code})`;
    throw new InputError(`cannot import ${file}: ${why}`, { hint: ARCHIVE_HINT, cause: error });
  }
  if (stat.isDirectory()) {
    throw new InputError(`cannot import ${file}: it is a directory, not an archive file`, {
      hint: `${ARCHIVE_HINT}; an OCI layout directory can be tarred first: tar -cf layout.tar -C ${file} .`,
    });
  }
  if (!stat.isFile()) throw new InputError(`cannot import ${file}: it is not a regular file`, { hint: ARCHIVE_HINT });
  if (stat.size === 0) throw new InputError(`cannot import ${file}: the file is empty`, { hint: ARCHIVE_HINT });
}

/** A plain tar to index: the file itself, or a gunzipped copy under the store's tmp dir. */
async function plainTar(file: string, work: string): Promise<string> {
  const handle = await fs.open(file, 'r');
  const head = Buffer.alloc(2);
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) return file;
  const plain = path.join(work, 'archive.tar');
  try {
    await pipeline(createReadStream(file), createGunzip(), createWriteStream(plain));
  } catch (error) {
    // zlib's own errors (Z_BUF_ERROR "unexpected end of file", Z_DATA_ERROR) say what is wrong.
    if (!String((error as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) throw error;
    const ended = (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR';
    throw new InputError(
      `${file} is ${ended ? 'truncated: its gzip stream ends early' : `not valid gzip: ${(error as Error).message}`}`,
      { hint: 'export or download it again', cause: error },
    );
  }
  return plain;
}

function resolveRefs(plans: PlannedImage[], options: ImportOptions): void {
  if (options.ref !== undefined) {
    if (plans.length !== 1) {
      throw new InputError(`--ref names one image, but the archive holds ${plans.length}`, {
        hint: 'import without --ref to keep the names stored in the archive',
      });
    }
    plans[0]!.refs = [options.ref];
  }
  for (const plan of plans) {
    plan.refs = plan.refs.map((ref) => {
      try {
        return normalizeImageRef(ref);
      } catch (error) {
        throw new InputError(`the archive names its image '${ref}', which isobench cannot use as a reference`, {
          hint: 'import with --ref NAME:TAG',
          cause: error,
        });
      }
    });
  }
}

/**
 * Imports every image in `file`. Layers are stored as-is (see ImageStore.addCompressedLayer);
 * legacy docker save images get a fresh OCI manifest. Returns the imported images.
 * @throws UnsafeArchiveError, IntegrityError, InputError; on any of them the index is unchanged.
 */
export async function importArchive(
  store: ImageStore,
  file: string,
  options: ImportOptions = {},
): Promise<StoredImage[]> {
  await checkArchiveFile(file);
  await fs.mkdir(store.layout.tmp, { recursive: true });
  const work = await fs.mkdtemp(path.join(store.layout.tmp, 'import-'));
  try {
    const archive = await indexTarFile(await plainTar(file, work));
    let plans: PlannedImage[];
    if (archive.has('index.json')) plans = await planOciArchive(archive, file);
    else if (archive.has('manifest.json')) plans = await planDockerSave(archive);
    else {
      throw new InputError(
        `${file} is neither an OCI archive (no index.json) nor a docker save tar (no manifest.json)`,
        {
          hint: 'create one with `isobench image export`, `skopeo copy ... oci-archive:FILE` or `docker save`',
        },
      );
    }
    if (plans.length === 0) throw new InputError(`${file} holds no image manifest`, { hint: HINT });
    resolveRefs(plans, options);

    const pending: PendingManifest[] = [];
    for (const plan of plans) {
      const layers: LayerInfo[] = [];
      for (const layer of plan.layers) {
        if (layer.digest !== undefined && (await store.hasLayer(layer.digest, layer.diffId))) {
          layers.push({
            digest: layer.digest,
            diffId: layer.diffId,
            sizeBytes: archive.sizeOf(layer.member),
            mediaType: layer.mediaType,
          });
          continue;
        }
        layers.push(
          await store.addCompressedLayer(archive.open(layer.member), layer.mediaType, {
            diffId: layer.diffId,
            ...(layer.digest !== undefined ? { digest: layer.digest } : {}),
          }),
        );
      }
      const configDigest = await store.writeBlob(plan.configBytes);
      const manifest =
        plan.manifest ??
        buildManifest(
          { mediaType: MEDIA_TYPE.ociConfig, digest: configDigest, size: plan.configBytes.length },
          layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.sizeBytes })),
        );
      pending.push({ manifest, refs: plan.refs, ...(plan.mediaType ? { mediaType: plan.mediaType } : {}) });
    }
    const digests = await store.commitManifests(pending);
    return Promise.all(digests.map((d) => store.resolve(d)));
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
