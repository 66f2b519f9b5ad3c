// What a VM boots from: an image of the store, reduced to its digest, runtime config and layer dirs.
import { ImageStore } from '../image/store.js';
import type { ImageRuntimeConfig } from '../image/types.js';
import type { RootLayout } from '../paths.js';

/** An image as the VM target needs it. */
export interface VmImageSource {
  /** The reference as the user gave it (for display). */
  ref: string;
  /** Manifest digest "sha256:<hex>": the base disk cache key. */
  digest: string;
  config: ImageRuntimeConfig;
  /** Unpacked layer dirs, TOPMOST FIRST (overlay lowerdir order). */
  lowerDirs: string[];
}

/** Resolves `ref` in the store under `layout.root`; an unknown image is the store's NotFoundError. */
export async function resolveVmImage(layout: RootLayout, ref: string): Promise<VmImageSource> {
  const store = await ImageStore.open(layout.root);
  const image = await store.resolve(ref);
  return { ref, digest: image.digest, config: image.config.config ?? {}, lowerDirs: await store.lowerDirs(image) };
}

/** The workload argv: Entrypoint + (run args, or the image's Cmd when none are given). Pure. */
export function workloadArgv(config: ImageRuntimeConfig, args: string[] | undefined): string[] {
  const entrypoint = config.Entrypoint ?? [];
  const cmd = args !== undefined && args.length > 0 ? args : (config.Cmd ?? []);
  return [...entrypoint, ...cmd];
}
