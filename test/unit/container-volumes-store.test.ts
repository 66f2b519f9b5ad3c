// The named-volume store on a temp state root: atomic create (idempotent), list, inspect, and
// "in use" derived from container records, a dead creator's leftover not counting.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuntimeContext } from '../../src/container/context.js';
import { type ContainerRecord, containerPaths, STATE_SCHEMA_VERSION, writeRecord } from '../../src/container/state.js';
import {
  createVolume,
  ensureVolumes,
  inspectVolume,
  listVolumes,
  volumeUsers,
} from '../../src/container/volumes/store.js';
import { InputError, IntegrityError, NotFoundError } from '../../src/errors.js';
import { type RootLayout, rootLayout } from '../../src/paths.js';

let layout: RootLayout;

beforeEach(async () => {
  layout = rootLayout(await mkdtemp(path.join(os.tmpdir(), 'isobench-volstore-')));
});

afterEach(async () => {
  await rm(layout.root, { recursive: true, force: true });
});

function writeContainer(id: string, overrides: Partial<ContainerRecord>): void {
  const paths = containerPaths(layout.containers, id);
  mkdirSync(paths.dir, { recursive: true });
  writeRecord(paths, {
    schemaVersion: STATE_SCHEMA_VERSION,
    id,
    name: `c-${id.slice(0, 4)}`,
    image: { ref: 'bb', digest: `sha256:${'0'.repeat(64)}` },
    lowerDirs: [],
    args: ['true'],
    env: [],
    cwd: '/',
    user: '',
    uid: 0,
    gid: 0,
    hostname: 'h',
    network: 'none',
    limits: {},
    stopSignal: 'SIGTERM',
    createdAt: '2026-01-01T00:00:00.000Z',
    status: 'stopped',
    creatorPid: process.pid,
    creatorStartTime: null,
    detached: true,
    remove: false,
    cgroupDirs: [],
    ...overrides,
  });
}

describe('the volume store', () => {
  it('creates a volume once (record and _data), leaves no temp entry, and keeps an existing one', async () => {
    const first = await createVolume(layout, 'data');
    expect(first.created).toBe(true);
    expect(first.info).toMatchObject({
      Name: 'data',
      Driver: 'local',
      Mountpoint: path.join(layout.volumes, 'data', '_data'),
    });
    expect(existsSync(first.info.Mountpoint)).toBe(true);
    writeFileSync(path.join(first.info.Mountpoint, 'f'), 'x');
    const again = await createVolume(layout, 'data');
    expect(again).toEqual({ info: first.info, created: false });
    expect(existsSync(path.join(first.info.Mountpoint, 'f'))).toBe(true);
    expect(readdirSync(layout.tmp)).toEqual([]);
    await ensureVolumes(layout, ['data', 'other']);
    expect(listVolumes(layout).map((v) => v.Name)).toEqual(['data', 'other']);
  });

  it('refuses bad names before touching anything, and names what is missing or corrupt', async () => {
    await expect(createVolume(layout, '../x')).rejects.toBeInstanceOf(InputError);
    expect(existsSync(layout.volumes)).toBe(false);
    expect(() => inspectVolume(layout, 'nope')).toThrow(NotFoundError);
    mkdirSync(path.join(layout.volumes, 'bad'), { recursive: true });
    writeFileSync(path.join(layout.volumes, 'bad', 'volume.json'), '{"name":"other"}');
    expect(() => inspectVolume(layout, 'bad')).toThrow(IntegrityError);
    expect(listVolumes(layout)).toEqual([]);
  });

  it('derives users from container records; a leftover whose creator died while creating it does not count', () => {
    const ctx = { layout } as RuntimeContext;
    const mounts = [{ type: 'volume' as const, source: 'data', target: '/d', readonly: false }];
    writeContainer('a'.repeat(64), { mounts });
    writeContainer('b'.repeat(64), { mounts: [{ ...mounts[0]!, source: 'other' }] });
    // pid 2^22+1 is above the kernel's pid_max limit: never alive.
    writeContainer('c'.repeat(64), { mounts, status: 'creating', creatorPid: 4_194_305 });
    expect(volumeUsers(ctx, 'data').map((r) => r.id)).toEqual(['a'.repeat(64)]);
    expect(volumeUsers(ctx, 'unused')).toEqual([]);
  });
});
