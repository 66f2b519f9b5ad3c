// The build cache: one JSON file per step key under the state root's build-cache/, holding the
// layer the step produced (or none) and the image config after it. Written atomically; an
// unreadable or malformed entry is a miss, never an error.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../../util/atomic.js';
import { isDigest } from '../digest.js';
import type { ImageRuntimeConfig, LayerInfo } from '../types.js';
import type { PlannedStep } from './types.js';

const CACHE_VERSION = 1;

export interface CacheEntry {
  version: typeof CACHE_VERSION;
  /** The step key (64 hex). */
  key: string;
  /** Layer the step added, or null for a config-only step or a RUN that changed no file. */
  layer: LayerInfo | null;
  /** Runtime config after the step. */
  config: ImageRuntimeConfig;
  /** ISO time the step first ran (kept on hits, so a cached rebuild yields the same image). */
  created: string;
}

/**
 * Key of a step: sha256 over the parent key (previous step's key, or the base image digest, or
 * "scratch"), the planned step without its line number and display text (so whitespace, case
 * and comments do not matter, but substituted values and build args in effect do), for
 * COPY/ADD the hash of the source contents, and the build's SOURCE_DATE_EPOCH when set (it
 * changes the layer's mtimes and the step's time).
 */
export function computeStepKey(
  parent: string,
  step: PlannedStep,
  sourcesHash?: string,
  sourceDateEpochS?: number,
): string {
  const { line: _line, display: _display, ...normalized } = step;
  const payload = JSON.stringify({
    v: CACHE_VERSION,
    parent,
    step: normalized,
    sources: sourcesHash ?? null,
    // Absent when unset, so keys of builds without an epoch stay what they were.
    ...(sourceDateEpochS === undefined ? {} : { sourceDateEpochS }),
  });
  return createHash('sha256').update(payload).digest('hex');
}

function entryFile(cacheDir: string, key: string): string {
  return path.join(cacheDir, `${key}.json`);
}

/** Reads an entry; undefined if absent or not a valid entry. */
export async function readCacheEntry(cacheDir: string, key: string): Promise<CacheEntry | undefined> {
  if (!/^[0-9a-f]{64}$/.test(key)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(entryFile(cacheDir, key), 'utf8'));
  } catch {
    return undefined;
  }
  return isCacheEntry(value, key) ? value : undefined;
}

/** Writes an entry atomically (a crash leaves the old entry or none). */
export async function writeCacheEntry(cacheDir: string, entry: CacheEntry): Promise<void> {
  await fs.mkdir(cacheDir, { recursive: true });
  await writeJsonAtomic(entryFile(cacheDir, entry.key), entry);
}

function isCacheEntry(value: unknown, key: string): value is CacheEntry {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.version !== CACHE_VERSION || v.key !== key || typeof v.created !== 'string') return false;
  if (typeof v.config !== 'object' || v.config === null || Array.isArray(v.config)) return false;
  if (v.layer === null) return true;
  const layer = v.layer as Record<string, unknown> | undefined;
  return (
    typeof layer === 'object' &&
    isDigest(layer.digest) &&
    isDigest(layer.diffId) &&
    typeof layer.sizeBytes === 'number' &&
    typeof layer.mediaType === 'string'
  );
}
