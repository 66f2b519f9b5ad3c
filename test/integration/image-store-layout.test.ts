import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, IntegrityError, NotFoundError, UnsafeArchiveError } from '../../src/errors.js';
import { ImageStore } from '../../src/image/store.js';
import type { OciImageConfig } from '../../src/image/types.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

async function tarOf(files: Record<string, string>): Promise<Readable> {
  const pack = tar.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o755, mtime: new Date(0) }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Readable.from([Buffer.concat(chunks)]);
}

function configFor(diffIds: string[]): OciImageConfig {
  return {
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
}

let root: string;
let store: ImageStore;
const notInUse = { isInUse: async () => false };

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-store-'));
  store = await ImageStore.open(root);
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function buildTwoLayerImage(ref: string, top = 'v1') {
  const base = await store.addLayer(await tarOf({ 'bin/busybox': 'BB' }));
  const app = await store.addLayer(await tarOf({ 'etc/app': top }));
  return store.commitImage({ config: configFor([base.diffId, app.diffId]), layers: [base, app], ref });
}

describe('ImageStore layout and index', () => {
  it('creates an OCI layout and commits images with full name:tag refs', async () => {
    expect(JSON.parse(await fs.readFile(path.join(root, 'images/oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    const image = await buildTwoLayerImage('busybox');
    expect(image.refs).toEqual(['busybox:latest']);
    const index = JSON.parse(await fs.readFile(path.join(root, 'images/index.json'), 'utf8'));
    expect(index.manifests).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: image.digest,
        size: expect.any(Number),
        annotations: { 'org.opencontainers.image.ref.name': 'busybox:latest' },
      },
    ]);
    expect((await fs.readdir(path.join(root, 'images'))).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    expect((await store.resolve('busybox:latest')).digest).toBe(image.digest);
    expect((await store.resolve(image.digest.slice(7, 19))).digest).toBe(image.digest);
    expect(image.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar+gzip',
      'application/vnd.oci.image.layer.v1.tar+gzip',
    ]);
  });

  it('gives lower dirs topmost first, with the layer content', async () => {
    const image = await buildTwoLayerImage('app:1');
    const dirs = await store.lowerDirs(image);
    expect(dirs).toEqual(image.layers.map((l) => path.join(root, 'layers', l.diffId.slice(7))).reverse());
    expect(await fs.readFile(path.join(dirs[0]!, 'etc/app'), 'utf8')).toBe('v1');
  });

  it('keeps every ref when commits race (index updates are serialized and atomic)', async () => {
    const layer = await store.addLayer(await tarOf({ f: 'x' }));
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.commitImage({
          config: { ...configFor([layer.diffId]), created: `2024-01-0${i + 1}T00:00:00Z` },
          layers: [layer],
          ref: `img${i}`,
        }),
      ),
    );
    const refs = (await store.list()).flatMap((i) => i.refs).sort();
    expect(refs).toEqual(Array.from({ length: 8 }, (_, i) => `img${i}:latest`));
    expect((await fs.readdir(path.join(root, 'images'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('moves a ref to a new build and keeps the old image untagged', async () => {
    const v1 = await buildTwoLayerImage('app');
    const v2 = await buildTwoLayerImage('app', 'v2');
    const images = await store.list();
    expect(images.find((i) => i.digest === v1.digest)?.refs).toEqual([]);
    expect(images.find((i) => i.digest === v2.digest)?.refs).toEqual(['app:latest']);
  });

  it('refuses a layer with a hostile entry before it reaches blobs/ or layers/', async () => {
    await expect(store.addLayer(await tarOf({ '../../etc/x': 'x' }))).rejects.toBeInstanceOf(UnsafeArchiveError);
    expect(await fs.readdir(path.join(root, 'images/blobs/sha256'))).toEqual([]);
    expect(await fs.readdir(path.join(root, 'layers'))).toEqual([]);
    expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('refuses an index entry whose digest would be a path', async () => {
    const file = path.join(root, 'images/index.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: 'x', digest: 'sha256:../../../../etc/shadow', size: 1 }],
      }),
    );
    await expect(store.list()).rejects.toBeInstanceOf(IntegrityError);
  });
});

describe('ImageStore integrity', () => {
  it('reports a blob whose content no longer matches its digest', async () => {
    const image = await buildTwoLayerImage('busybox');
    await fs.writeFile(store.blobPath(image.configDigest), '{"tampered":true}');
    const error = await store.readBlob(image.configDigest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toContain(image.configDigest);
    expect((error as IntegrityError).hint).toContain('isobench image rm');
  });

  it('detects a corrupted layer blob when unpacking and leaves no layer dir', async () => {
    const image = await buildTwoLayerImage('busybox');
    const top = image.layers[1]!;
    await fs.rm(path.join(root, 'layers', top.diffId.slice(7)), { recursive: true });
    const blob = await fs.readFile(store.blobPath(top.digest));
    blob[blob.length - 12]! ^= 0xff;
    await fs.writeFile(store.blobPath(top.digest), blob);
    await expect(store.lowerDirs(image)).rejects.toBeInstanceOf(IntegrityError);
    expect(existsSync(path.join(root, 'layers', top.diffId.slice(7)))).toBe(false);
    expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([]);
  });

  it('unpacks a missing layer dir again from its blob', async () => {
    const image = await buildTwoLayerImage('busybox');
    await fs.rm(path.join(root, 'layers'), { recursive: true });
    await fs.mkdir(path.join(root, 'layers'));
    const dirs = await store.lowerDirs(image);
    expect(await fs.readFile(path.join(dirs[1]!, 'bin/busybox'), 'utf8')).toBe('BB');
  });
});

describe('ImageStore remove and disk usage', () => {
  it('untags, refuses an image in use, then collects only unshared blobs and dirs', async () => {
    const a = await buildTwoLayerImage('a');
    const b = await buildTwoLayerImage('b', 'other top');
    await store.tag(a, 'a:2');
    expect(await store.remove('a:2', notInUse)).toEqual({ untagged: 'a:2', deletedBlobs: 0, deletedLayerDirs: 0 });

    const usage = await store.diskUsage();
    const ua = usage.find((u) => u.image.digest === a.digest)!;
    expect(ua.sharedBytes).toBeGreaterThan(0);
    expect(ua.uniqueBytes).toBe(ua.sizeBytes - ua.sharedBytes);

    await expect(store.remove('a', { isInUse: async (i) => i.digest === a.digest })).rejects.toBeInstanceOf(
      ConflictError,
    );
    const removed = await store.remove('a', notInUse);
    // manifest + config + the top layer; the shared base layer stays for b.
    expect(removed).toEqual({ untagged: 'a:latest', deletedBlobs: 3, deletedLayerDirs: 1 });
    await expect(store.resolve('a')).rejects.toBeInstanceOf(NotFoundError);
    expect((await store.lowerDirs(await store.resolve('b'))).length).toBe(2);
    expect(existsSync(store.blobPath(b.layers[0]!.digest))).toBe(true);
  });

  it('finds a short name as podman does: the exact name first, then localhost/NAME', async () => {
    const saved = await buildTwoLayerImage('localhost/busybox');
    expect((await store.resolve('busybox')).digest).toBe(saved.digest);
    expect((await store.resolve('busybox:latest')).digest).toBe(saved.digest);
    // An exact match wins over localhost/.
    const exact = await buildTwoLayerImage('busybox', 'exact top');
    expect((await store.resolve('busybox')).digest).toBe(exact.digest);
    expect((await store.resolve('localhost/busybox')).digest).toBe(saved.digest);
    // A name with a namespace is never rewritten.
    await expect(store.resolve('other/busybox')).rejects.toThrow('no image other/busybox:latest');
  });

  it('names the fix when an image is missing', async () => {
    const error = await store.resolve('busybox').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toBe('no image busybox:latest (tried busybox:latest, localhost/busybox:latest)');
    expect((error as NotFoundError).hint).toBe(
      'list images with `isobench image ls`, or build one with `isobench image build -t busybox scenarios/images/busybox`',
    );
  });
});
