// Finding containers: scan containers/ (so a fresh CLI process knows every container), refresh
// each record, and resolve a user's "name or id prefix" to exactly one container.
import { readdirSync } from 'node:fs';
import { ConflictError, InputError, NotFoundError } from '../../errors.js';
import type { StoredImage } from '../../image/types.js';
import type { RuntimeContext } from '../context.js';
import { refreshContainer } from '../refresh.js';
import { type ContainerRecord, containerPaths, isContainerId, readRecord } from '../state.js';

/** Minimum id prefix length a user may type. */
export const MIN_ID_PREFIX = 4;

/** Ids of every container dir (well-formed names only), unsorted. */
export function listContainerIds(ctx: RuntimeContext): string[] {
  try {
    return readdirSync(ctx.layout.containers).filter(isContainerId);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Raw records as stored (not refreshed); dirs without a readable state.json are skipped. */
export function readAllRecords(ctx: RuntimeContext): ContainerRecord[] {
  const records: ContainerRecord[] = [];
  for (const id of listContainerIds(ctx)) {
    try {
      const record = readRecord(containerPaths(ctx.layout.containers, id));
      if (record) records.push(record);
    } catch {
      // Corrupt or half-written: gc deals with it; listing must not fail because of one dir.
    }
  }
  return records;
}

/** Containers with their derived status, oldest first; only running (and creating) ones unless `all`. */
export async function listContainers(ctx: RuntimeContext, options: { all?: boolean } = {}): Promise<ContainerRecord[]> {
  const records = await Promise.all(readAllRecords(ctx).map((r) => refreshContainer(ctx, r)));
  return records
    .filter((r) => options.all || r.status !== 'stopped')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** Picks the one record `nameOrIdPrefix` names: exact name, then full id, then a unique id prefix (>= 4 hex). */
export function matchContainer(records: ContainerRecord[], nameOrIdPrefix: string): ContainerRecord {
  const byName = records.find((r) => r.name === nameOrIdPrefix);
  if (byName) return byName;
  const key = nameOrIdPrefix.toLowerCase();
  if (/^[0-9a-f]+$/.test(key)) {
    const exact = records.find((r) => r.id === key);
    if (exact) return exact;
    if (key.length >= MIN_ID_PREFIX) {
      const matches = records.filter((r) => r.id.startsWith(key));
      if (matches.length === 1) return matches[0]!;
      if (matches.length > 1) {
        throw new InputError(
          `id prefix '${nameOrIdPrefix}' is ambiguous: it matches ${matches.map((r) => `${r.name} (${r.id.slice(0, 12)})`).join(', ')}`,
          { hint: 'give more digits of the id, or the name' },
        );
      }
    }
  }
  throw new NotFoundError(`no container named '${nameOrIdPrefix}' and no id starting with it`, {
    hint: `list containers with \`isobench ps -a\`${/^[0-9a-f]{1,3}$/i.test(nameOrIdPrefix) ? `; an id prefix needs at least ${MIN_ID_PREFIX} digits` : ''}`,
  });
}

/** One container, refreshed. @throws NotFoundError, InputError (ambiguous prefix). */
export async function findContainer(ctx: RuntimeContext, nameOrIdPrefix: string): Promise<ContainerRecord> {
  // Fast path: a full id needs no scan.
  if (isContainerId(nameOrIdPrefix)) {
    const record = readRecord(containerPaths(ctx.layout.containers, nameOrIdPrefix));
    if (record) return refreshContainer(ctx, record);
  }
  return refreshContainer(ctx, matchContainer(readAllRecords(ctx), nameOrIdPrefix));
}

/** Throws ConflictError unless the container is running. */
export function requireRunning(record: ContainerRecord, action: string): void {
  if (record.status === 'running') return;
  throw new ConflictError(`cannot ${action} container ${record.name}: it is ${record.status}`, {
    hint:
      record.status === 'creating'
        ? 'wait until it has started'
        : `start a new one with \`isobench run\`; remove this one with \`isobench rm ${record.name}\``,
  });
}

/** True when any container dir (any status) was created from `image`. */
export async function isImageInUse(ctx: RuntimeContext, image: StoredImage): Promise<boolean> {
  return readAllRecords(ctx).some((r) => r.image.digest === image.digest);
}
