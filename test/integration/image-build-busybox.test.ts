// Builds the shipped busybox recipe for real (as root, with our runtime for its RUN steps):
// layers and config, a fully cached rebuild, and invalidation from a changed file on.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEphemeral } from '../../src/container/index.js';
import { buildImage } from '../../src/image/recipe/build.js';
import { ImageStore } from '../../src/image/store.js';
import { type RootLayout, rootLayout } from '../../src/paths.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

const recipeDir = path.resolve(__dirname, '../../scenarios/images/busybox');
let top: string;
let layout: RootLayout;
let context: string;

beforeAll(async () => {
  top = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-build-busybox-'));
  layout = rootLayout(path.join(top, 'root'));
  context = path.join(top, 'context');
  // A private copy of the recipe dir, with the host's static busybox in place of the set-up step.
  await fs.cp(recipeDir, context, {
    recursive: true,
    filter: (src) => path.basename(src) !== 'busybox' || src === recipeDir,
  });
  await fs.copyFile('/bin/busybox', path.join(context, 'busybox'));
  await fs.chmod(path.join(context, 'busybox'), 0o755);
});

afterAll(async () => {
  await fs.rm(top, { recursive: true, force: true });
});

const quiet = { log: () => {}, runStep: runEphemeral };

describe('image build of scenarios/images/busybox', () => {
  it('builds four layers and the config from the recipe', async () => {
    const { image, steps } = await buildImage(layout, { contextDir: context, tag: 'busybox:test', ...quiet });
    expect(steps.map((s) => [s.instruction, s.cached, s.layer !== undefined])).toEqual([
      ['COPY busybox /bin/busybox', false, true],
      ['RUN ["/bin/busybox", "--install", "-s", "/bin"]', false, true],
      [
        'RUN mkdir -p /tmp /root /home/tester /proc /sys /dev && chmod 1777 /tmp && chown 1000:1000 /home/tester',
        false,
        true,
      ],
      ['COPY etc/ /etc/', false, true],
      ['ENV PATH=/bin:/usr/bin:/sbin:/usr/sbin', false, false],
      ['CMD ["sh"]', false, false],
    ]);
    expect(image.refs).toEqual(['busybox:test']);
    expect(image.layers).toHaveLength(4);
    expect(image.config.architecture).toBe('amd64');
    expect(image.config.os).toBe('linux');
    expect(image.config.config).toEqual({ Env: ['PATH=/bin:/usr/bin:/sbin:/usr/sbin'], Cmd: ['sh'] });
    expect(image.config.rootfs.diff_ids).toEqual(image.layers.map((l) => l.diffId));
    expect(image.config.history?.map((h) => h.empty_layer ?? false)).toEqual([false, false, false, false, true, true]);

    const store = await ImageStore.open(layout.root);
    const [etcLayer, mkdirLayer, installLayer, busyboxLayer] = await store.lowerDirs(image);
    const busybox = await fs.lstat(path.join(busyboxLayer!, 'bin/busybox'));
    expect([busybox.mode & 0o7777, busybox.uid, busybox.size]).toEqual([
      0o755,
      0,
      (await fs.stat('/bin/busybox')).size,
    ]);
    expect(await fs.readlink(path.join(installLayer!, 'bin/sh'))).toBe('/bin/busybox');
    const tmp = await fs.lstat(path.join(mkdirLayer!, 'tmp'));
    expect(tmp.mode & 0o7777).toBe(0o1777);
    const home = await fs.lstat(path.join(mkdirLayer!, 'home/tester'));
    expect([home.uid, home.gid]).toEqual([1000, 1000]);
    const passwd = await fs.readFile(path.join(etcLayer!, 'etc/passwd'), 'utf8');
    expect(passwd).toContain('tester:x:1000:1000:');
    const passwdStat = await fs.lstat(path.join(etcLayer!, 'etc/passwd'));
    expect([passwdStat.mode & 0o7777, passwdStat.uid, passwdStat.gid]).toEqual([0o644, 0, 0]);
    // The COPY layer holds only /etc and its files.
    expect((await fs.readdir(etcLayer!)).sort()).toEqual(['etc']);
    expect((await fs.readdir(path.join(etcLayer!, 'etc'))).sort()).toEqual(['group', 'hostname', 'passwd']);
  });

  it('rebuilds from the cache alone, to the same image digest', async () => {
    const first = await buildImage(layout, { contextDir: context, tag: 'busybox:test', ...quiet });
    const second = await buildImage(layout, { contextDir: context, tag: 'busybox:again', ...quiet });
    expect(second.steps.every((s) => s.cached)).toBe(true);
    expect(second.image.digest).toBe(first.image.digest);
    expect(second.image.refs.sort()).toEqual(['busybox:again', 'busybox:test']);
  });

  it('rebuilds from the step whose source changed on, and --no-cache rebuilds all', async () => {
    const before = await buildImage(layout, { contextDir: context, tag: 'busybox:test', ...quiet });
    await fs.appendFile(path.join(context, 'etc/passwd'), 'extra:x:1001:1001::/:/bin/sh\n');
    const after = await buildImage(layout, { contextDir: context, tag: 'busybox:test', ...quiet });
    expect(after.steps.map((s) => s.cached)).toEqual([true, true, true, false, false, false]);
    expect(after.image.layers.slice(0, 3)).toEqual(before.image.layers.slice(0, 3));
    expect(after.image.layers[3]!.diffId).not.toBe(before.image.layers[3]!.diffId);
    expect(after.image.digest).not.toBe(before.image.digest);

    const fresh = await buildImage(layout, { contextDir: context, tag: 'busybox:test', noCache: true, ...quiet });
    expect(fresh.steps.map((s) => s.cached)).toEqual([false, false, false, false, false, false]);
    // COPY layers are deterministic (sorted entries, fixed parent dir metadata): same blob again.
    expect(fresh.image.layers[0]).toEqual(after.image.layers[0]);
    expect(fresh.image.layers[3]).toEqual(after.image.layers[3]);
  });

  it('leaves no temp dir behind', async () => {
    const leftovers = (await fs.readdir(layout.tmp)).filter((n) => n.startsWith('build-') || n.startsWith('run-'));
    expect(leftovers).toEqual([]);
  });
});
