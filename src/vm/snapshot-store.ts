// Saved VM snapshots on disk (layout.vm/snapshots/<id>/): guest RAM, device state and disk of one
// guest stopped at the snapshot point (snapshot.ts), keyed by what the guest booted, so a second
// request for the same guest finds the first one. An entry is published whole by renaming its
// staging dir, and only a dir with meta.json counts.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { RootLayout } from '../paths.js';
import type { Accel } from '../vocabulary.js';
import type { VmMachine } from './definition.js';
import type { GuestCgroupLayout } from './guest-config.js';
import type { VmNetwork } from './qemu-args.js';

/** Bump when the files of an entry or how they are made change. */
export const SNAPSHOT_FORMAT_VERSION = 1;

/** Staging dirs of snapshots being made: <prefix><pid>-<random> in layout.tmp (gc.ts sweeps dead ones). */
export const SNAPSHOT_TEMP_PREFIX = 'vm-snapshot-';

/** What a snapshot was taken of: the inputs a restore must match, in words a message can name. */
export interface SnapshotGuest {
  /** vm-images definition name (default = stock kernel, minimal = built kernel). */
  definition: string;
  kernelRelease: string;
  /** The image's manifest digest (its reference as given is in `imageRef`). */
  digest: string;
  imageRef: string;
  accel: Accel;
  machine: VmMachine;
  memoryMiB: number;
  cpus: number;
  network: VmNetwork;
  cgroups: GuestCgroupLayout;
}

/** A file the saved guest was made from. */
export interface SnapshotInput {
  path: string;
  /** fileIdentity() when the snapshot was taken. */
  identity: string;
}

/** meta.json of one entry. */
export interface SnapshotMeta {
  formatVersion: number;
  /** The content key (16 hex), also the dir name. */
  id: string;
  createdAt: string;
  guest: SnapshotGuest;
  /** The kernel command line of the saved boot: a restore passes the same one (same machine). */
  cmdline: string;
  /** QEMU, kernel, initramfs and base disk: a snapshot is stale once one of them changed. */
  inputs: Record<string, SnapshotInput>;
  /** Boot to the snapshot point, and the save after it, in ms (host clock). */
  bootMs: number;
  saveMs: number;
}

/** The files of one entry (or of its staging dir). */
export interface SnapshotPaths {
  dir: string;
  meta: string;
  /** Guest RAM (memory-backend-file): written MAP_SHARED by the saved boot, mapped MAP_PRIVATE by restores. */
  ram: string;
  /** The migration stream: device state only (RAM is skipped, x-ignore-shared). */
  state: string;
  /** The saved boot's qcow2 overlay, backing every restored guest's own overlay. */
  disk: string;
}

/** Dir holding one dir per snapshot. */
export function snapshotsDir(layout: RootLayout): string {
  return path.join(layout.vm, 'snapshots');
}

/** The files under `dir`. Pure. */
export function snapshotFiles(dir: string): SnapshotPaths {
  return {
    dir,
    meta: path.join(dir, 'meta.json'),
    ram: path.join(dir, 'ram'),
    state: path.join(dir, 'state'),
    disk: path.join(dir, 'disk.qcow2'),
  };
}

/** The entry of snapshot `id` (16 hex). */
export function snapshotPaths(layout: RootLayout, id: string): SnapshotPaths {
  if (!/^[0-9a-f]{16}$/.test(id)) throw new InputError(`expected a snapshot id of 16 hex digits, got '${id}'`);
  return snapshotFiles(path.join(snapshotsDir(layout), id));
}

/**
 * The content key of a snapshot: the QEMU command line of the saved boot (with placeholder paths
 * and nonce: kernel, initramfs, base disk, command line, machine, memory, devices) and the
 * identity of every file it reads (a rebuilt kernel or disk, or another QEMU, makes a new key). Pure.
 */
export function snapshotKey(templateArgv: string[], inputs: Record<string, SnapshotInput>): string {
  return createHash('sha256')
    .update(JSON.stringify({ SNAPSHOT_FORMAT_VERSION, templateArgv, inputs }))
    .digest('hex')
    .slice(0, 16);
}

/** size:mtime:inode of `file`, or 'missing': changes when the file is replaced or rewritten. */
export async function fileIdentity(file: string): Promise<string> {
  const stat = await fs.stat(file).catch(() => undefined);
  return stat ? `${stat.size}:${Math.trunc(stat.mtimeMs)}:${stat.ino}` : 'missing';
}

/** The meta of entry `id`, or undefined when it is not (completely) there. */
export async function readSnapshotMeta(layout: RootLayout, id: string): Promise<SnapshotMeta | undefined> {
  const paths = snapshotPaths(layout, id);
  try {
    const meta = JSON.parse(await fs.readFile(paths.meta, 'utf8')) as SnapshotMeta;
    if (meta.formatVersion !== SNAPSHOT_FORMAT_VERSION || meta.id !== id) return undefined;
    await Promise.all([paths.ram, paths.state, paths.disk].map((file) => fs.access(file)));
    return meta;
  } catch {
    return undefined;
  }
}

/** Every complete entry, oldest first. */
export async function listSnapshots(layout: RootLayout): Promise<SnapshotMeta[]> {
  const ids = (await fs.readdir(snapshotsDir(layout)).catch(() => [] as string[])).filter((e) =>
    /^[0-9a-f]{16}$/.test(e),
  );
  const metas = await Promise.all(ids.map((id) => readSnapshotMeta(layout, id)));
  return metas.filter((m): m is SnapshotMeta => m !== undefined).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * Finds a snapshot by id or unique id prefix (at least 4 hex digits). Bad input, not "not found":
 * the id is what the user typed.
 * @throws InputError naming the id and how to list or make snapshots.
 */
export async function findSnapshot(layout: RootLayout, idOrPrefix: string): Promise<SnapshotMeta> {
  const hint = 'pass --from-snapshot auto to take (or reuse) the snapshot that fits this run';
  if (!/^[0-9a-f]{4,16}$/.test(idOrPrefix)) {
    throw new InputError(
      `expected --from-snapshot to be auto or a snapshot id (4-16 hex digits), got '${idOrPrefix}'`,
      {
        hint,
      },
    );
  }
  const matches = (await listSnapshots(layout)).filter((m) => m.id.startsWith(idOrPrefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw new InputError(`snapshot id prefix '${idOrPrefix}' is ambiguous`, { hint: 'give more digits' });
  throw new InputError(`no snapshot '${idOrPrefix}' in ${snapshotsDir(layout)}`, { hint });
}

const GUEST_FIELDS: Array<[keyof SnapshotGuest, string]> = [
  ['definition', 'kernel (VM definition)'],
  ['kernelRelease', 'kernel release'],
  ['digest', 'image'],
  ['accel', 'accelerator'],
  ['machine', 'machine'],
  ['memoryMiB', 'memory (MiB)'],
  ['cpus', 'vCPUs'],
  ['network', 'network'],
  ['cgroups', 'cgroups'],
];

/** The first field of `wanted` that differs from what `meta` was taken with, as a message. Pure. */
export function snapshotFieldMismatch(meta: SnapshotMeta, wanted: Partial<SnapshotGuest>): string | undefined {
  for (const [field, name] of GUEST_FIELDS) {
    if (wanted[field] !== undefined && meta.guest[field] !== wanted[field]) {
      return `snapshot ${meta.id} was taken with ${name} ${String(meta.guest[field])}, this run asks for ${String(wanted[field])}`;
    }
  }
  return undefined;
}

/**
 * Why a restore asking for `wanted` (content key `wantedKey`) cannot use `meta`: the first field
 * that differs, named with both values, or else the files; undefined when the key matches. Pure.
 */
export function snapshotMismatch(meta: SnapshotMeta, wanted: SnapshotGuest, wantedKey: string): string | undefined {
  if (meta.id === wantedKey) return undefined;
  return (
    snapshotFieldMismatch(meta, wanted) ??
    `snapshot ${meta.id} was taken from other files (a rebuilt kernel, initramfs or disk, or another QEMU) than this run boots`
  );
}

/** Whether a file `meta` was made from changed or vanished since (it can never be restored again). */
export async function isSnapshotStale(meta: SnapshotMeta): Promise<boolean> {
  for (const input of Object.values(meta.inputs)) {
    if ((await fileIdentity(input.path)) !== input.identity) return true;
  }
  return false;
}

/**
 * Removes every snapshot whose inputs changed (isSnapshotStale), and dirs there without a
 * complete entry older than `graceMs` (a rename is atomic, so none is ever half made). Returns the ids removed.
 */
export async function sweepStaleSnapshots(layout: RootLayout, graceMs = 60_000): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await fs.readdir(snapshotsDir(layout)).catch(() => [] as string[])) {
    const dir = path.join(snapshotsDir(layout), entry);
    const meta = /^[0-9a-f]{16}$/.test(entry) ? await readSnapshotMeta(layout, entry) : undefined;
    if (meta ? !(await isSnapshotStale(meta)) : await isYoung(dir, graceMs)) continue;
    await fs.rm(dir, { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}

async function isYoung(dir: string, graceMs: number): Promise<boolean> {
  const stat = await fs.stat(dir).catch(() => undefined);
  return stat !== undefined && Date.now() - stat.mtimeMs < graceMs;
}
