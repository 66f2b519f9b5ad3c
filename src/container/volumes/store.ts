// Named volumes: one dir per volume, <root>/volumes/<name>/, holding volume.json (a small record)
// and _data/ (what containers mount, as Docker's local driver lays it out). A volume appears by
// rename from <root>/tmp and goes by rename into it, so a crash leaves only a temp dir that `gc`
// removes, never half a volume. NOTE: whether a volume is in use is derived from the container
// records each time (verbs/list.ts), never counted: a SIGKILLed run cannot leave a count behind.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConflictError, IntegrityError, InternalError, NotFoundError, requireRoot } from '../../errors.js';
import type { RootLayout } from '../../paths.js';
import { withLock } from '../../util/lock.js';
import { isSameProcessAlive } from '../../util/process.js';
import type { RuntimeContext } from '../context.js';
import type { ContainerRecord } from '../state.js';
import { readAllRecords } from '../verbs/list.js';
import { mountsUnder } from '../verbs/remove.js';
import { validateVolumeName } from './parse.js';

/** volume.json. */
export interface VolumeRecord {
  name: string;
  /** ISO 8601. */
  createdAt: string;
}

/** What `volume inspect` prints for one volume (Docker's fields). */
export interface VolumeInfo {
  Name: string;
  Driver: 'local';
  /** The host dir containers mount. */
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: 'local';
}

export interface VolumePaths {
  dir: string;
  recordFile: string;
  /** What a container mounts. */
  dataDir: string;
}

/** Paths of volume `name`; the name must have been validated (no '/', no '..'). */
export function volumePaths(layout: RootLayout, name: string): VolumePaths {
  const dir = path.join(layout.volumes, name);
  return { dir, recordFile: path.join(dir, 'volume.json'), dataDir: path.join(dir, '_data') };
}

const LOCK = 'volumes';

function toInfo(layout: RootLayout, record: VolumeRecord): VolumeInfo {
  return {
    Name: record.name,
    Driver: 'local',
    Mountpoint: volumePaths(layout, record.name).dataDir,
    CreatedAt: record.createdAt,
    Labels: {},
    Options: {},
    Scope: 'local',
  };
}

/** The record of `name`; undefined when there is no such volume. */
function readVolumeRecord(layout: RootLayout, name: string): VolumeRecord | undefined {
  const file = volumePaths(layout, name).recordFile;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: Partial<VolumeRecord> | null = null;
  try {
    value = JSON.parse(text) as Partial<VolumeRecord> | null;
  } catch {
    // Reported below as not a record.
  }
  if (!value || typeof value !== 'object' || value.name !== name || typeof value.createdAt !== 'string') {
    throw new IntegrityError(`${file}: not a volume record`, { hint: `remove it with \`isobench volume rm ${name}\`` });
  }
  return value as VolumeRecord;
}

/** A temp entry name gc recognises by its pid ("<label>-<pid>-<random>"). */
function tmpName(layout: RootLayout, label: string): string {
  return path.join(layout.tmp, `${label}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Creates `name` unless it exists. Precondition: the volumes lock is held. */
function ensureLocked(layout: RootLayout, name: string): { record: VolumeRecord; created: boolean } {
  const existing = readVolumeRecord(layout, name);
  if (existing) return { record: existing, created: false };
  mkdirSync(layout.tmp, { recursive: true });
  mkdirSync(layout.volumes, { recursive: true, mode: 0o700 });
  const staging = tmpName(layout, 'volume');
  mkdirSync(staging, { mode: 0o755 });
  try {
    // 0755 like Docker's _data: the workload's user owns what it writes, root owns the dir.
    mkdirSync(path.join(staging, '_data'), { mode: 0o755 });
    const record: VolumeRecord = { name, createdAt: new Date().toISOString() };
    writeFileSync(path.join(staging, 'volume.json'), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    renameSync(staging, volumePaths(layout, name).dir);
    return { record, created: true };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/** `volume create`: makes `name` (validated) unless it exists, as Docker does; returns its info. */
export async function createVolume(layout: RootLayout, name: string): Promise<{ info: VolumeInfo; created: boolean }> {
  validateVolumeName(name);
  return withLock(layout.locks, LOCK, async () => {
    const { record, created } = ensureLocked(layout, name);
    return { info: toInfo(layout, record), created };
  });
}

/**
 * Makes every volume of `names` that is missing (`run -v NAME:/x`, as Docker does). Called once
 * the container's record names them, under the volumes lock: a concurrent `volume rm` then either
 * sees the container or finished before, and the volume is made afresh.
 */
export async function ensureVolumes(layout: RootLayout, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await withLock(layout.locks, LOCK, async () => {
    for (const name of names) ensureLocked(layout, name);
  });
}

/** One volume's info. @throws NotFoundError */
export function inspectVolume(layout: RootLayout, name: string): VolumeInfo {
  validateVolumeName(name);
  const record = readVolumeRecord(layout, name);
  if (!record) {
    throw new NotFoundError(`no volume named '${name}'`, { hint: 'list volumes with `isobench volume ls`' });
  }
  return toInfo(layout, record);
}

/** Every volume, by name; a dir without a readable record is skipped. */
export function listVolumes(layout: RootLayout): VolumeInfo[] {
  let names: string[];
  try {
    names = readdirSync(layout.volumes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const infos: VolumeInfo[] = [];
  for (const name of names.sort()) {
    try {
      const record = readVolumeRecord(layout, name);
      if (record) infos.push(toInfo(layout, record));
    } catch {
      // Not a volume record: inspect names the problem; listing goes on.
    }
  }
  return infos;
}

/**
 * Containers whose record mounts volume `name`, stopped ones included (as Docker counts them),
 * except leftovers whose creator died while creating them (gc removes those).
 */
export function volumeUsers(ctx: RuntimeContext, name: string): ContainerRecord[] {
  return readAllRecords(ctx).filter(
    (r) =>
      (r.mounts ?? []).some((m) => m.type === 'volume' && m.source === name) &&
      !(r.status === 'creating' && !isSameProcessAlive(r.creatorPid, r.creatorStartTime)),
  );
}

/**
 * `volume rm`: refused while a container uses it (even with `force`, as Docker); `force` makes a
 * missing volume no error. @throws NotFoundError, ConflictError naming the container.
 */
export async function removeVolume(ctx: RuntimeContext, name: string, options: { force?: boolean } = {}) {
  requireRoot('removing a volume');
  validateVolumeName(name);
  const layout = ctx.layout;
  await withLock(layout.locks, LOCK, async () => {
    const paths = volumePaths(layout, name);
    if (!readVolumeRecord(layout, name)) {
      if (options.force) return;
      throw new NotFoundError(`no volume named '${name}'`, { hint: 'list volumes with `isobench volume ls`' });
    }
    const users = volumeUsers(ctx, name);
    if (users.length > 0) {
      const names = users.map((u) => `${u.name} (${u.id.slice(0, 12)})`).join(', ');
      throw new ConflictError(`volume ${name} is in use by container ${names}`, {
        hint: `remove the container first: \`isobench rm -f ${users[0]!.name}\``,
      });
    }
    const mounts = mountsUnder(paths.dir);
    if (mounts.length > 0) {
      throw new InternalError(`refusing to delete volume ${name}: ${mounts.join(', ')} still mounted`, {
        hint: `unmount with \`umount -R ${mounts[0]}\`, then remove it again`,
      });
    }
    // Gone in one step (rename), then deleted; a crash in between leaves a temp dir gc removes.
    mkdirSync(layout.tmp, { recursive: true });
    const doomed = tmpName(layout, 'volume-rm');
    renameSync(paths.dir, doomed);
    rmSync(doomed, { recursive: true, force: true });
  });
}
