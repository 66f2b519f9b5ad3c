// Snapshot restore, the pure parts: the content key, the mismatch message a restore gives, the
// QEMU arguments, the config line a restored guest reads, and lookups in a store on a temp dir.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { rootLayout } from '../../src/paths.js';
import {
  CONSOLE_CONFIG_MAX_BYTES,
  encodeGuestConfigLine,
  type GuestRunConfig,
  renderGuestConfig,
} from '../../src/vm/guest-config.js';
import { renderGuestInit } from '../../src/vm/guest-init.js';
import { execMigrationUri, snapshotMemoryArgs } from '../../src/vm/snapshot.js';
import {
  findSnapshot,
  isSnapshotStale,
  readSnapshotMeta,
  SNAPSHOT_FORMAT_VERSION,
  type SnapshotMeta,
  snapshotKey,
  snapshotMismatch,
  snapshotPaths,
  sweepStaleSnapshots,
} from '../../src/vm/snapshot-store.js';

const config: GuestRunConfig = {
  nonce: 'abcdef0123456789',
  hostname: 'vm1',
  argv: ['echo', 'hi'],
  env: ['PATH=/bin'],
  workdir: '/',
  user: '',
  network: 'none',
  guestRoot: 'disk',
};

const inputs = { kernel: { path: '/k/vmlinux', identity: '10:20:30' } };

function metaOf(id: string, overrides: Partial<SnapshotMeta['guest']> = {}): SnapshotMeta {
  return {
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    id,
    createdAt: '2026-01-01T00:00:00.000Z',
    guest: {
      definition: 'minimal',
      kernelRelease: '6.1.0-isobench',
      digest: 'sha256:aa',
      imageRef: 'img',
      accel: 'tcg',
      machine: 'microvm',
      memoryMiB: 256,
      cpus: 1,
      network: 'none',
      cgroups: 'none',
      ...overrides,
    },
    cmdline: 'console=ttyS0',
    inputs,
    bootMs: 1,
    saveMs: 1,
  };
}

describe('snapshot key and mismatch', () => {
  it('is 16 hex, stable, and changes with the command line or a file identity', () => {
    const key = snapshotKey(['-m', '256'], inputs);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(snapshotKey(['-m', '256'], inputs)).toBe(key);
    expect(snapshotKey(['-m', '512'], inputs)).not.toBe(key);
    expect(snapshotKey(['-m', '256'], { kernel: { path: '/k/vmlinux', identity: '10:21:30' } })).not.toBe(key);
  });

  it('names the first field that differs, with both values', () => {
    const meta = metaOf('00000000000000aa');
    expect(snapshotMismatch(meta, meta.guest, meta.id)).toBeUndefined();
    expect(snapshotMismatch(meta, { ...meta.guest, definition: 'default' }, 'bb')).toBe(
      'snapshot 00000000000000aa was taken with kernel (VM definition) minimal, this run asks for default',
    );
    expect(snapshotMismatch(meta, { ...meta.guest, memoryMiB: 2048 }, 'bb')).toContain('memory (MiB) 256');
    expect(snapshotMismatch(meta, meta.guest, 'bb')).toContain('other files');
  });
});

describe('snapshot QEMU arguments', () => {
  it('puts guest RAM in the file, shared to save, private to restore', () => {
    expect(snapshotMemoryArgs('/s/ram', 256, true)).toEqual([
      '-object',
      'memory-backend-file,id=isobench-ram,size=256M,mem-path=/s/ram,share=on',
      '-machine',
      'memory-backend=isobench-ram',
    ]);
    expect(snapshotMemoryArgs('/s,x/ram', 64, false)[1]).toBe(
      'memory-backend-file,id=isobench-ram,size=64M,mem-path=/s,,x/ram,share=off',
    );
  });

  it('quotes the state file for the shell QEMU runs exec: URIs with', () => {
    expect(execMigrationUri('cat >', '/a b/state')).toBe(`exec:cat > '/a b/state'`);
    expect(execMigrationUri('cat', "/it's")).toBe(`exec:cat '/it'\\''s'`);
  });
});

describe('the config a restored guest reads', () => {
  it('is the base64 of the same fragment, on one line', () => {
    const line = encodeGuestConfigLine(config);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(Buffer.from(line, 'base64').toString()).toBe(renderGuestConfig(config));
  });

  it('refuses a config longer than the tty line buffer', () => {
    const env = [`BIG=${'x'.repeat(CONSOLE_CONFIG_MAX_BYTES)}`];
    expect(() => encodeGuestConfigLine({ ...config, env })).toThrow(InputError);
  });

  it('marks a snapshot boot, which /init stops at before the per-run steps', () => {
    expect(renderGuestConfig({ ...config, snapshot: true })).toContain('\nISB_SNAPSHOT=1\n');
    expect(renderGuestConfig(config)).not.toContain('ISB_SNAPSHOT');
    const init = renderGuestInit('disk');
    const point = init.indexOf('if [ "$ISB_SNAPSHOT" = 1 ]');
    expect(point).toBeGreaterThan(init.indexOf('mount -t devpts'));
    expect(point).toBeLessThan(init.indexOf('hostname "$ISB_HOSTNAME"'));
    expect(init).toContain('echo "ISOBENCH-PHASE $ISB_NONCE snapshot $t_snap"');
  });
});

describe('snapshot store', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  async function storeWith(meta: SnapshotMeta): Promise<ReturnType<typeof rootLayout>> {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-snapshot-store-'));
    const layout = rootLayout(root);
    const paths = snapshotPaths(layout, meta.id);
    await fs.mkdir(paths.dir, { recursive: true });
    for (const file of [paths.ram, paths.state, paths.disk]) await fs.writeFile(file, '');
    await fs.writeFile(paths.meta, JSON.stringify(meta));
    return layout;
  }

  it('finds an entry by id or prefix; an unknown or malformed id is bad input', async () => {
    const layout = await storeWith(metaOf('0123456789abcdef'));
    expect((await findSnapshot(layout, '0123')).id).toBe('0123456789abcdef');
    await expect(findSnapshot(layout, 'ffff')).rejects.toThrow(/^no snapshot 'ffff' in /);
    await expect(findSnapshot(layout, 'ffff')).rejects.toBeInstanceOf(InputError);
    await expect(findSnapshot(layout, '../x')).rejects.toThrow(/expected --from-snapshot to be auto or a snapshot id/);
  });

  it('counts an entry only when every file is there', async () => {
    const layout = await storeWith(metaOf('0123456789abcdef'));
    expect(await readSnapshotMeta(layout, '0123456789abcdef')).toBeDefined();
    await fs.rm(snapshotPaths(layout, '0123456789abcdef').state);
    expect(await readSnapshotMeta(layout, '0123456789abcdef')).toBeUndefined();
  });

  it('sweeps an entry whose input changed, keeps one whose inputs are the same', async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-snapshot-store-'));
    const kernel = path.join(root, 'vmlinux');
    await fs.writeFile(kernel, 'k');
    const stat = await fs.stat(kernel);
    const fresh = {
      ...metaOf('00000000000000aa'),
      inputs: { kernel: { path: kernel, identity: `${stat.size}:${Math.trunc(stat.mtimeMs)}:${stat.ino}` } },
    };
    const stale = { ...metaOf('00000000000000bb'), inputs: { kernel: { path: kernel, identity: '9:9:9' } } };
    expect(await isSnapshotStale(fresh)).toBe(false);
    expect(await isSnapshotStale(stale)).toBe(true);
    const layout = rootLayout(root);
    for (const meta of [fresh, stale]) {
      const paths = snapshotPaths(layout, meta.id);
      await fs.mkdir(paths.dir, { recursive: true });
      for (const file of [paths.ram, paths.state, paths.disk]) await fs.writeFile(file, '');
      await fs.writeFile(paths.meta, JSON.stringify(meta));
    }
    expect(await sweepStaleSnapshots(layout)).toEqual(['00000000000000bb']);
    expect(await readSnapshotMeta(layout, '00000000000000aa')).toBeDefined();
  });
});
