// Real builds on top of a busybox image: RUN deletions become whiteouts, a failing RUN or a recipe
// error leaves the store untouched, ADD unpacks local archives, COPY --chown and WORKDIR.
import { execFileSync } from 'node:child_process';
import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEphemeral } from '../../src/container/index.js';
import { RecipeError } from '../../src/errors.js';
import { buildImage } from '../../src/image/recipe/build.js';
import { ImageStore } from '../../src/image/store.js';
import type { LayerInfo } from '../../src/image/types.js';
import { type RootLayout, rootLayout } from '../../src/paths.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

const recipeDir = path.resolve(__dirname, '../../scenarios/images/busybox');
let top: string;
let layout: RootLayout;
let store: ImageStore;

/** A fresh context dir holding `Containerfile` with `recipe` and the given files. */
async function makeContext(recipe: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await fs.mkdtemp(path.join(top, 'ctx-'));
  await fs.writeFile(path.join(dir, 'Containerfile'), recipe);
  for (const [name, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** Entry names (type:name) of a stored gzip layer blob, in tar order. */
async function layerEntries(layer: LayerInfo): Promise<string[]> {
  const names: string[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    names.push(`${header.type}:${header.name}`);
    stream.on('end', next);
    stream.resume();
  });
  await pipeline(createReadStream(store.blobPath(layer.digest)), createGunzip(), extract);
  return names;
}

async function snapshotIndex(): Promise<Buffer> {
  return fs.readFile(path.join(layout.images, 'index.json'));
}

async function tempLeftovers(): Promise<string[]> {
  return (await fs.readdir(layout.tmp)).filter(
    (n) => n.startsWith('build-') || n.startsWith('run-') || n.startsWith('layer-'),
  );
}

const quiet = { log: () => {}, runStep: runEphemeral };

beforeAll(async () => {
  top = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-build-steps-'));
  layout = rootLayout(path.join(top, 'root'));
  const context = path.join(top, 'busybox');
  await fs.cp(recipeDir, context, {
    recursive: true,
    filter: (src) => path.basename(src) !== 'busybox' || src === recipeDir,
  });
  await fs.copyFile('/bin/busybox', path.join(context, 'busybox'));
  await buildImage(layout, { contextDir: context, tag: 'base:1', ...quiet });
  store = await ImageStore.open(layout.root);
});

afterAll(async () => {
  await fs.rm(top, { recursive: true, force: true });
});

describe('RUN', () => {
  it('turns deleted files into whiteouts and replaced dirs into opaque dirs', async () => {
    const context = await makeContext(
      [
        'FROM base:1',
        'RUN rm /etc/hostname && echo new > /etc/motd',
        'RUN rm -rf /home && mkdir -p /home/other',
        // Proves the whiteouts are honoured when the layers are stacked again.
        'RUN test ! -e /etc/hostname && test ! -e /home/tester && test -d /home/other && grep -q new /etc/motd',
      ].join('\n'),
    );
    const { image, steps } = await buildImage(layout, { contextDir: context, tag: 'whiteouts:1', ...quiet });
    expect(steps.map((s) => s.layer !== undefined)).toEqual([true, true, false]);
    const [deleteLayer, replaceLayer] = image.layers.slice(-2);
    expect(await layerEntries(deleteLayer!)).toEqual(['directory:etc', 'file:etc/.wh.hostname', 'file:etc/motd']);
    expect(await layerEntries(replaceLayer!)).toEqual([
      'directory:home',
      'file:home/.wh..wh..opq',
      'directory:home/other',
    ]);
  });

  it('fails with file:line and commits nothing when the command exits non-zero', async () => {
    const index = await snapshotIndex();
    const lines: string[] = [];
    const context = await makeContext('FROM base:1\nENV X=1\nRUN echo partial > /made && echo oops >&2 && exit 3\n');
    const error = await buildImage(layout, {
      contextDir: context,
      tag: 'broken:1',
      log: (l) => lines.push(l),
      runStep: runEphemeral,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecipeError);
    expect((error as RecipeError).message).toBe('Containerfile:3: RUN failed with exit code 3');
    expect(lines).toContain('  oops');
    expect(await snapshotIndex()).toEqual(index);
    expect(await tempLeftovers()).toEqual([]);
  });

  it('reports a command that does not exist as a recipe error', async () => {
    const context = await makeContext('FROM base:1\nRUN ["/no/such/program"]\n');
    const error = await buildImage(layout, { contextDir: context, tag: 'broken:2', ...quiet }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecipeError);
    expect((error as RecipeError).line).toBe(2);
    expect(await tempLeftovers()).toEqual([]);
  });

  it('runs in the WORKDIR as the USER with ENV and ARG values', async () => {
    const context = await makeContext(
      [
        'FROM base:1',
        'ARG GREETING=hello',
        'ENV WHO=world',
        'WORKDIR /home/tester/work',
        'USER tester',
        'RUN echo "$GREETING $WHO $(id -u) $(pwd)" > out.txt',
      ].join('\n'),
    );
    const { image } = await buildImage(layout, {
      contextDir: context,
      tag: 'workdir:1',
      buildArgs: { GREETING: 'hi' },
      ...quiet,
    });
    expect(image.config.config.WorkingDir).toBe('/home/tester/work');
    expect(image.config.config.User).toBe('tester');
    const [top] = await store.lowerDirs(image);
    const out = path.join(top!, 'home/tester/work/out.txt');
    expect(await fs.readFile(out, 'utf8')).toBe('hi world 1000 /home/tester/work\n');
    expect((await fs.lstat(out)).uid).toBe(1000);
    // The existing parent keeps the metadata it has in the image (owner tester from the base).
    expect((await fs.lstat(path.join(top!, 'home/tester'))).uid).toBe(1000);
  });
});

describe('COPY and ADD', () => {
  it('copies with --chown by name into a relative destination and keeps parent metadata', async () => {
    const context = await makeContext('FROM base:1\nWORKDIR /tmp/data\nCOPY --chown=tester:tester conf/ ./\n', {
      'conf/a.conf': 'a',
      'conf/sub/b.conf': 'b',
    });
    await fs.chmod(path.join(context, 'conf/a.conf'), 0o600);
    const { image } = await buildImage(layout, { contextDir: context, tag: 'copy:1', ...quiet });
    const [top] = await store.lowerDirs(image);
    const a = await fs.lstat(path.join(top!, 'tmp/data/a.conf'));
    expect([a.mode & 0o7777, a.uid, a.gid]).toEqual([0o600, 1000, 1000]);
    expect(await fs.readFile(path.join(top!, 'tmp/data/sub/b.conf'), 'utf8')).toBe('b');
    // /tmp was 1777 root in the base: the layer must not reset it.
    expect((await fs.lstat(path.join(top!, 'tmp'))).mode & 0o7777).toBe(0o1777);
  });

  it('follows in-image symlinks in the destination (merged /usr) instead of replacing them', async () => {
    const context = await makeContext('FROM base:1\nRUN mkdir -p /usr/lib && ln -s usr/lib /lib\nCOPY f /lib/\n', {
      f: 'f',
    });
    const { image } = await buildImage(layout, { contextDir: context, tag: 'usrmerge:1', ...quiet });
    expect(await layerEntries(image.layers.at(-1)!)).toEqual(['directory:usr', 'directory:usr/lib', 'file:usr/lib/f']);
  });

  it('copies a file into an existing image directory named without a trailing slash', async () => {
    const context = await makeContext('FROM base:1\nCOPY extra.conf /etc\n', { 'extra.conf': 'x' });
    const { image } = await buildImage(layout, { contextDir: context, tag: 'intodir:1', ...quiet });
    expect(await layerEntries(image.layers.at(-1)!)).toEqual(['directory:etc', 'file:etc/extra.conf']);
  });

  it('unpacks a local gzip tar and copies a plain file as it is', async () => {
    const context = await makeContext('FROM base:1\nADD payload.tar.gz /opt/\nADD notes.txt /opt/notes.txt\n', {
      'payload/x/y.txt': 'inside',
      'notes.txt': 'plain',
    });
    execFileSync('tar', ['-C', path.join(context, 'payload'), '-czf', path.join(context, 'payload.tar.gz'), '.']);
    const { image } = await buildImage(layout, { contextDir: context, tag: 'add:1', ...quiet });
    const [notesLayer, tarLayer] = await store.lowerDirs(image);
    expect(await fs.readFile(path.join(tarLayer!, 'opt/x/y.txt'), 'utf8')).toBe('inside');
    expect(await fs.readFile(path.join(notesLayer!, 'opt/notes.txt'), 'utf8')).toBe('plain');
  });
});

describe('recipe errors change nothing in the store', () => {
  const cases: Array<[string, string, Record<string, string>, string]> = [
    [
      'a missing COPY source',
      'FROM base:1\nRUN true\nCOPY nothere /x\n',
      {},
      "Containerfile:3: COPY source 'nothere' does not exist",
    ],
    [
      'a source escaping through a symlink',
      'FROM base:1\nCOPY link /x\n',
      {},
      "Containerfile:2: COPY source 'link' resolves to",
    ],
    [
      'an unknown instruction',
      'FROM base:1\nCOPY f /f\nFETCH x\n',
      { f: 'f' },
      "Containerfile:3: unknown instruction 'FETCH'",
    ],
    [
      'an unknown --chown user',
      'FROM base:1\nCOPY --chown=nobody2 f /f\n',
      { f: 'f' },
      "Containerfile:2: COPY --chown: user 'nobody2'",
    ],
  ];
  for (const [name, recipe, files, message] of cases) {
    it(name, async () => {
      const context = await makeContext(recipe, files);
      await fs.symlink('/etc/shadow', path.join(context, 'link'));
      const index = await snapshotIndex();
      const error = await buildImage(layout, { contextDir: context, tag: 'never:1', ...quiet }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RecipeError);
      expect((error as RecipeError).message.startsWith(message)).toBe(true);
      expect(await snapshotIndex()).toEqual(index);
      expect(await tempLeftovers()).toEqual([]);
    });
  }
});
