// Reproducible builds: with SOURCE_DATE_EPOCH (as BuildKit honours it), parallel `image build`s of
// the busybox recipe in separate state roots (no shared cache) give one digest; the epoch is the
// image's time and the latest mtime in its layers; a malformed epoch changes nothing.
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../src/image/store.js';
import { packageDir } from '../../src/paths.js';
import { runCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

const EPOCH_S = 1_700_000_000; // 2023-11-14T22:13:20Z
let top: string;
let context: string;

/** Latest mtime (seconds) of any entry of a stored gzip layer. */
async function latestMtimeS(store: ImageStore, digest: string): Promise<number> {
  let latest = 0;
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    latest = Math.max(latest, Math.floor((header.mtime?.getTime() ?? 0) / 1000));
    stream.on('end', next);
    stream.resume();
  });
  await pipeline(createReadStream(store.blobPath(digest)), createGunzip(), extract);
  return latest;
}

function build(root: string, env: NodeJS.ProcessEnv, tag = 'repro:1') {
  return runCli(root, ['image', 'build', '-q', '-t', tag, context], env);
}

beforeAll(async () => {
  top = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-repro-'));
  context = path.join(top, 'context');
  const recipeDir = path.join(packageDir(), 'scenarios', 'images', 'busybox');
  await fs.cp(recipeDir, context, { recursive: true, filter: (src) => src !== path.join(recipeDir, 'busybox') });
  await fs.copyFile('/bin/busybox', path.join(context, 'busybox'));
});

afterAll(async () => {
  if (top) await fs.rm(top, { recursive: true, force: true });
});

describe('image build with SOURCE_DATE_EPOCH', () => {
  it('gives one digest for parallel builds, and the epoch as created time and latest mtime', async () => {
    const roots = ['a', 'b'].map((name) => path.join(top, `root-${name}`));
    const env = { SOURCE_DATE_EPOCH: String(EPOCH_S) };
    const results = await Promise.all(roots.map((root) => build(root, env)));
    for (const result of results)
      expect(result).toMatchObject({ code: 0, stdout: expect.stringMatching(/^sha256:[0-9a-f]{64}\n$/) });
    const [a, b] = results.map((r) => r.stdout.trim());
    expect(b).toBe(a);

    const store = await ImageStore.open(roots[0]!);
    const image = await store.resolve('repro:1');
    const epochIso = new Date(EPOCH_S * 1000).toISOString();
    expect(image.config.created).toBe(epochIso);
    expect(image.config.history?.map((h) => h.created)).toEqual(image.config.history?.map(() => epochIso));
    expect(image.layers.length).toBeGreaterThan(0);
    for (const layer of image.layers) expect(await latestMtimeS(store, layer.digest)).toBeLessThanOrEqual(EPOCH_S);

    // The build arg wins over the environment; another epoch is another image.
    const other = await runCli(
      roots[0]!,
      ['image', 'build', '-q', '-t', 'repro:2', '--build-arg', `SOURCE_DATE_EPOCH=${EPOCH_S + 1}`, context],
      env,
    );
    expect(other.code).toBe(0);
    expect(other.stdout.trim()).not.toBe(a);
    expect((await (await ImageStore.open(roots[0]!)).resolve('repro:2')).config.created).toBe(
      new Date((EPOCH_S + 1) * 1000).toISOString(),
    );
  });

  it.each([
    ['the environment', { SOURCE_DATE_EPOCH: 'yesterday' }, [], 'the SOURCE_DATE_EPOCH environment variable'],
    ['a build arg', {}, ['--build-arg', 'SOURCE_DATE_EPOCH=-5'], '--build-arg SOURCE_DATE_EPOCH'],
  ])('rejects a malformed epoch from %s: one line, exit 2, nothing written', async (_label, env, extra, from) => {
    const root = path.join(top, `root-bad-${extra.length}`);
    const result = await runCli(root, ['image', 'build', '-t', 'bad:1', ...extra, context], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toMatch(
      new RegExp(`^isobench: expected ${from} to be whole seconds since 1970 \\(0 to 253402300799\\), got '`),
    );
    expect(existsSync(root)).toBe(false);
  });
});
