import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, UnsafeArchiveError } from '../../src/errors.js';
import { exportArchive, importArchive } from '../../src/image/archive.js';
import { ImageStore } from '../../src/image/store.js';
import type { StoredImage } from '../../src/image/types.js';
import { packToStream, useOverlayMarksHelper } from '../fixtures/overlay-marks-helper.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A busybox rootfs tar: the static busybox binary and a few applet links. */
async function busyboxTar(): Promise<Readable> {
  const pack = tar.pack();
  const busybox = await fs.readFile('/bin/busybox');
  const mtime = new Date(1_700_000_000_000);
  for (const dir of ['bin', 'etc', 'tmp'])
    pack.entry({ name: dir, type: 'directory', mode: dir === 'tmp' ? 0o1777 : 0o755, mtime });
  pack.entry({ name: 'bin/busybox', mode: 0o755, mtime }, busybox);
  for (const applet of ['sh', 'ls', 'cat'])
    pack.entry({ name: `bin/${applet}`, type: 'symlink', linkname: 'busybox', mtime });
  pack.entry({ name: 'etc/motd', mode: 0o644, mtime }, 'hello\n');
  return packToStream(pack);
}

let tmp: string;
let restoreHelper: () => void;
let store: ImageStore;
let image: StoredImage;
let exported: string;
const mounts: string[] = [];

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-archive-'));
  restoreHelper = await useOverlayMarksHelper(tmp);
  store = await ImageStore.open(path.join(tmp, 'root'));
  const layer = await store.addLayer(await busyboxTar());
  image = await store.commitImage({
    config: {
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    },
    layers: [layer],
    ref: 'busybox:1',
  });
  exported = path.join(tmp, 'busybox.oci.tar');
  await exportArchive(store, 'busybox:1', exported);
});

afterAll(async () => {
  for (const m of mounts.reverse()) {
    try {
      run('umount', [m]);
    } catch {
      // already gone
    }
  }
  restoreHelper();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('OCI archives with skopeo', () => {
  it('survives export -> skopeo oci: -> skopeo oci-archive: -> import with the same diff_ids', async () => {
    const layoutDir = path.join(tmp, 'skopeo-layout');
    const back = path.join(tmp, 'back.oci.tar');
    run('skopeo', ['copy', '--quiet', `oci-archive:${exported}`, `oci:${layoutDir}:rt`]);
    run('skopeo', ['copy', '--quiet', `oci:${layoutDir}:rt`, `oci-archive:${back}:rt`]);
    const fresh = await ImageStore.open(path.join(tmp, 'root-skopeo'));
    const [imported, ...rest] = await importArchive(fresh, back);
    expect(rest).toEqual([]);
    expect(imported!.config.rootfs.diff_ids).toEqual(image.config.rootfs.diff_ids);
    // skopeo stores only the tag; the name comes from the file name.
    expect(imported!.refs).toEqual(['back.oci:rt']);
    const [lower] = await fresh.lowerDirs(imported!);
    expect((await fs.readFile(path.join(lower!, 'bin/busybox'))).equals(await fs.readFile('/bin/busybox'))).toBe(true);
    expect(await fs.readlink(path.join(lower!, 'bin/sh'))).toBe('busybox');
  });

  it('imports what skopeo writes as a docker-archive, with its name', async () => {
    const dockerTar = path.join(tmp, 'busybox.docker.tar');
    run('skopeo', ['copy', '--quiet', `oci-archive:${exported}`, `docker-archive:${dockerTar}:busybox:dock`]);
    const fresh = await ImageStore.open(path.join(tmp, 'root-docker'));
    const [imported] = await importArchive(fresh, dockerTar);
    expect(imported!.refs).toEqual(['busybox:dock']);
    expect(imported!.config.rootfs.diff_ids).toEqual(image.config.rootfs.diff_ids);
    expect((await fresh.lowerDirs(imported!)).length).toBe(1);
  });

  it('re-imports its own export byte-for-byte (same manifest digest) and honours --ref', async () => {
    const fresh = await ImageStore.open(path.join(tmp, 'root-self'));
    const [imported] = await importArchive(fresh, exported, { ref: 'copy:2' });
    expect(imported!.digest).toBe(image.digest);
    expect(imported!.refs).toEqual(['copy:2']);
  });
});

describe('umoci layouts with whiteouts', () => {
  it('imports a tarred umoci layout and turns its .wh. entries into overlay whiteouts', async () => {
    const layout = path.join(tmp, 'umoci');
    const bundle = path.join(tmp, 'bundle');
    run('umoci', ['init', '--layout', layout]);
    run('umoci', ['new', '--image', `${layout}:t`]);
    run('umoci', ['unpack', '--image', `${layout}:t`, bundle]);
    await fs.mkdir(path.join(bundle, 'rootfs/etc'), { recursive: true });
    await fs.writeFile(path.join(bundle, 'rootfs/etc/motd'), 'base\n');
    await fs.writeFile(path.join(bundle, 'rootfs/etc/keep'), 'keep\n');
    run('umoci', ['repack', '--image', `${layout}:t`, bundle]);
    await fs.rm(bundle, { recursive: true });
    run('umoci', ['unpack', '--image', `${layout}:t`, bundle]);
    await fs.rm(path.join(bundle, 'rootfs/etc/motd'));
    run('umoci', ['repack', '--image', `${layout}:t`, bundle]);
    const archive = path.join(tmp, 'umoci-img.tar');
    run('tar', ['-C', layout, '-cf', archive, '.']);

    const fresh = await ImageStore.open(path.join(tmp, 'root-umoci'));
    const [imported] = await importArchive(fresh, archive);
    expect(imported!.refs).toEqual(['umoci-img:t']);
    const lowers = await fresh.lowerDirs(imported!);
    const whiteout = await fs.lstat(path.join(lowers[0]!, 'etc/motd'));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0).toBe(true);

    // The real thing: stacked as overlay lower dirs, the whiteout hides the base layer's file.
    const merged = path.join(tmp, 'merged');
    await fs.mkdir(merged);
    run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')}`, merged]);
    mounts.push(merged);
    expect((await fs.readdir(path.join(merged, 'etc'))).sort()).toEqual(['keep']);
    run('umount', [merged]);
    mounts.pop();
  });
});

describe('hostile and corrupt archives', () => {
  it('refuses an outer archive entry that climbs out, and commits nothing', async () => {
    const pack = tar.pack();
    pack.entry({ name: 'index.json' }, '{"schemaVersion":2,"manifests":[]}');
    pack.entry({ name: '../../evil' }, 'x');
    pack.finalize();
    const file = path.join(tmp, 'evil.tar');
    const chunks: Buffer[] = [];
    for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
    await fs.writeFile(file, Buffer.concat(chunks));
    const fresh = await ImageStore.open(path.join(tmp, 'root-evil'));
    await expect(importArchive(fresh, file)).rejects.toBeInstanceOf(UnsafeArchiveError);
    expect(await fresh.list()).toEqual([]);
  });

  it('refuses an archive whose layer blob was altered, and commits nothing', async () => {
    const unpacked = path.join(tmp, 'altered');
    await fs.mkdir(unpacked);
    run('tar', ['-C', unpacked, '-xf', exported]);
    const layerFile = path.join(unpacked, 'blobs/sha256', image.layers[0]!.digest.slice(7));
    const blob = await fs.readFile(layerFile);
    blob[100]! ^= 0x01;
    await fs.writeFile(layerFile, blob);
    const file = path.join(tmp, 'altered.tar');
    run('tar', ['-C', unpacked, '-cf', file, '.']);
    const fresh = await ImageStore.open(path.join(tmp, 'root-altered'));
    const error = await importArchive(fresh, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(await fresh.list()).toEqual([]);
    expect(await fs.readdir(path.join(tmp, 'root-altered/layers'))).toEqual([]);
  });
});
