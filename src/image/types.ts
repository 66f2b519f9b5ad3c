// Contract of the image store, shared by the builder, the container runtime and the VM target.
// NOTE: digests are always "sha256:<64 hex>"; sizes are bytes.

/** The runtime part of an OCI image config (`config` in the image config JSON). */
export interface ImageRuntimeConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

/** An OCI image config blob (application/vnd.oci.image.config.v1+json). */
export interface OciImageConfig {
  created?: string;
  architecture: string;
  os: string;
  config: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; empty_layer?: boolean; comment?: string }>;
}

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** One layer of a stored image. */
export interface LayerInfo {
  /** Digest of the compressed blob as stored (gzip tar). */
  digest: string;
  /** Digest of the uncompressed tar (rootfs.diff_ids entry). */
  diffId: string;
  /** Compressed size in bytes. */
  sizeBytes: number;
  mediaType: string;
}

/** An image as the store knows it, fully resolved. */
export interface StoredImage {
  /** "name:tag" references pointing at this manifest (may be empty for untagged). */
  refs: string[];
  /** Manifest digest: the image's identity. */
  digest: string;
  configDigest: string;
  config: OciImageConfig;
  /** Bottom layer first (same order as rootfs.diff_ids). */
  layers: LayerInfo[];
}
