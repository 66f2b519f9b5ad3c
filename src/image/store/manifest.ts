// Parsing and validating manifest and config blobs (OCI and Docker v2 schema 2).
import { IntegrityError } from '../../errors.js';
import { requireDigest } from '../digest.js';
import { isManifestMediaType, layerCompression, MEDIA_TYPE } from '../media-types.js';
import type { OciDescriptor, OciImageConfig } from '../types.js';

export interface ParsedManifest {
  mediaType: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
}

const FIX = 'remove the image with `isobench image rm` and rebuild or re-import it';

function fail(where: string, what: string): never {
  throw new IntegrityError(`${where}: ${what}`, { hint: FIX });
}

function parseJson(bytes: Buffer, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    fail(where, 'not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'expected a JSON object');
  return value as Record<string, unknown>;
}

function parseDescriptor(value: unknown, where: string): OciDescriptor {
  const d = value as Partial<OciDescriptor> | null;
  if (typeof d !== 'object' || d === null) fail(where, 'expected a descriptor object');
  if (typeof d.mediaType !== 'string') fail(where, 'descriptor without a mediaType');
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    fail(where, 'descriptor without a valid size');
  return { mediaType: d.mediaType, digest: requireDigest(d.digest, where), size: d.size };
}

/** Parses a manifest blob; `fallbackMediaType` covers manifests that omit their own mediaType. */
export function parseManifest(bytes: Buffer, where: string, fallbackMediaType?: string): ParsedManifest {
  const json = parseJson(bytes, where);
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : fallbackMediaType;
  if (!isManifestMediaType(mediaType)) fail(where, `not an image manifest (mediaType ${JSON.stringify(mediaType)})`);
  if (json.schemaVersion !== 2) fail(where, 'expected schemaVersion 2');
  const config = parseDescriptor(json.config, `${where} config`);
  if (!Array.isArray(json.layers)) fail(where, 'expected a layers array');
  const layers = json.layers.map((l, i) => parseDescriptor(l, `${where} layers[${i}]`));
  for (const [i, layer] of layers.entries()) {
    try {
      layerCompression(layer.mediaType);
    } catch {
      fail(`${where} layers[${i}]`, `unsupported layer media type '${layer.mediaType}'`);
    }
  }
  return { mediaType: mediaType as string, config, layers };
}

/** Parses a config blob and checks the fields the runtime relies on. */
export function parseConfig(bytes: Buffer, where: string): OciImageConfig {
  const json = parseJson(bytes, where);
  const rootfs = json.rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (typeof rootfs !== 'object' || rootfs === null || !Array.isArray(rootfs.diff_ids)) {
    fail(where, 'expected rootfs.diff_ids');
  }
  for (const [i, d] of rootfs.diff_ids.entries()) requireDigest(d, `${where} rootfs.diff_ids[${i}]`);
  const config = (
    typeof json.config === 'object' && json.config !== null ? json.config : {}
  ) as OciImageConfig['config'];
  return {
    ...(json as unknown as OciImageConfig),
    architecture: typeof json.architecture === 'string' ? json.architecture : 'amd64',
    os: typeof json.os === 'string' ? json.os : 'linux',
    config,
  };
}

/** A fresh OCI manifest for a config blob and layers. */
export function buildManifest(config: OciDescriptor, layers: OciDescriptor[]): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    config: { mediaType: MEDIA_TYPE.ociConfig, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  return Buffer.from(JSON.stringify(manifest));
}
