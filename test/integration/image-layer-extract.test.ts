import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsafeArchiveError } from '../../src/errors.js';
import { extractLayer, packLayerFromDir } from '../../src/image/layer-tar.js';
import { packToStream, useOverlayMarksHelper } from '../fixtures/overlay-marks-helper.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

type Spec = {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  body?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
};

/** An uncompressed tar made of `entries`, as a stream. */
async function makeTar(entries: Spec[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    const { body, ...header } = e;
    pack.entry({ type: 'file', mode: 0o644, mtime: new Date(1_000_000_000_000), ...header }, body ?? '');
  }
  return packToStream(pack);
}

function opaqueXattr(p: string): string {
  return execFileSync(
    'python3',
    ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())', p],
    {
      encoding: 'utf8',
    },
  ).trim();
}

let tmp: string;
let restoreHelper: () => void;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-extract-'));
  restoreHelper = await useOverlayMarksHelper(tmp);
});

afterAll(async () => {
  restoreHelper();
  await fs.rm(tmp, { recursive: true, force: true });
});

let counter = 0;
const freshDir = () => path.join(tmp, `dest-${++counter}`);

describe('extractLayer refuses hostile tars and leaves nothing behind', () => {
  const cases: Array<[string, Spec[], RegExp]> = [
    ['a path climbing out with ..', [{ name: '../../etc/passwd', body: 'x' }], /escapes the root/],
    ['a .. hidden after a real component', [{ name: 'a/../../x', body: 'x' }], /escapes the root/],
    [
      'a file written through a symlinked dir',
      [
        { name: 'etc', type: 'symlink', linkname: '/etc' },
        { name: 'etc/passwd', body: 'owned' },
      ],
      /parent 'etc' is a symlink/,
    ],
    [
      'a file written through a relative symlinked dir',
      [
        { name: 'd', type: 'directory', mode: 0o755 },
        { name: 'd/up', type: 'symlink', linkname: '.' },
        { name: 'd/up/f', body: 'x' },
      ],
      /parent 'd\/up' is a symlink/,
    ],
    ['a hardlink to ../x', [{ name: 'h', type: 'link', linkname: '../x' }], /escapes the root/],
    [
      'a hardlink to a file not in the layer',
      [{ name: 'h', type: 'link', linkname: 'etc/shadow' }],
      /not a regular file extracted earlier/,
    ],
    [
      'a hardlink to a symlink',
      [
        { name: 's', type: 'symlink', linkname: '/etc/shadow' },
        { name: 'h', type: 'link', linkname: 's' },
      ],
      /not a regular file extracted earlier/,
    ],
    ['a character device', [{ name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 }], /device nodes/],
    [
      'a relative symlink escaping the root',
      [{ name: 'a/b', type: 'symlink', linkname: '../../..' }],
      /escapes the root/,
    ],
    ['an over-long component', [{ name: `${'n'.repeat(256)}`, body: '' }], /longer than 255/],
  ];

  it.each(cases)('refuses %s', async (_label, entries, why) => {
    const dest = freshDir();
    const error = await extractLayer(await makeTar(entries), dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect((error as Error).message).toMatch(why);
    expect((error as UnsafeArchiveError).hint).toBe('the layer tar is hostile or corrupt; rebuild it');
    expect(existsSync(dest)).toBe(false);
    expect(existsSync('/etc/passwd.isobench-test')).toBe(false);
  });

  it('refuses garbage that is not a tar', async () => {
    const dest = freshDir();
    const error = await extractLayer(Readable.from([Buffer.alloc(1024, 7)]), dest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(existsSync(dest)).toBe(false);
  });
});

describe('extractLayer keeps what a layer means', () => {
  it('strips leading / and ./, keeps modes (setuid too), owners, mtimes and absolute symlinks', async () => {
    const dest = freshDir();
    const mtime = new Date(1_600_000_000_000);
    const result = await extractLayer(
      await makeTar([
        { name: './', type: 'directory', mode: 0o755 },
        { name: '/bin/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime },
        { name: 'bin/su', body: 'elf', mode: 0o4755, uid: 0, gid: 0, mtime },
        { name: './home/u/f', body: 'hello', mode: 0o640, uid: 1000, gid: 1001, mtime },
        { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
        { name: 'bin/su2', type: 'link', linkname: 'bin/su' },
        { name: 'run/fifo', type: 'fifo', mode: 0o600 },
      ]),
      dest,
    );
    expect(result).toEqual({ entries: 7, bytes: 8 });
    const su = await fs.stat(path.join(dest, 'bin/su'));
    expect(su.mode & 0o7777).toBe(0o4755);
    expect(su.mtimeMs).toBe(mtime.getTime());
    expect(su.nlink).toBe(2);
    const f = await fs.stat(path.join(dest, 'home/u/f'));
    expect([f.uid, f.gid, f.mode & 0o777]).toEqual([1000, 1001, 0o640]);
    expect(await fs.readlink(path.join(dest, 'bin/sh'))).toBe('/bin/busybox');
    expect((await fs.stat(path.join(dest, 'bin'))).mtimeMs).toBe(mtime.getTime());
    expect((await fs.lstat(path.join(dest, 'run/fifo'))).isFIFO()).toBe(true);
  });

  it('turns .wh.NAME into an overlay whiteout and .wh..wh..opq into the opaque xattr', async () => {
    const dest = freshDir();
    await extractLayer(
      await makeTar([
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/.wh.motd', body: '' },
        { name: 'var/cache/.wh..wh..opq', body: '' },
        { name: 'keep/.wh.same', body: '' },
        { name: 'keep/same', body: 'a file in the same layer wins over its whiteout' },
        { name: '.wh..wh.plnk', body: '' },
      ]),
      dest,
    );
    const motd = await fs.lstat(path.join(dest, 'etc/motd'));
    expect(motd.isCharacterDevice()).toBe(true);
    expect(motd.rdev).toBe(0);
    expect(existsSync(path.join(dest, 'etc/.wh.motd'))).toBe(false);
    expect(opaqueXattr(path.join(dest, 'var/cache'))).toBe('y');
    expect((await fs.lstat(path.join(dest, 'keep/same'))).isFile()).toBe(true);
    expect(await fs.readdir(dest)).toEqual(expect.not.arrayContaining(['.wh..wh.plnk']));
  });

  it('refuses a non-empty destination', async () => {
    const dest = freshDir();
    await fs.mkdir(dest);
    await fs.writeFile(path.join(dest, 'x'), '');
    await expect(extractLayer(await makeTar([]), dest)).rejects.toThrow(/not empty/);
  });
});

describe('packLayerFromDir', () => {
  it('round-trips modes, owners, symlinks and hardlinks, and is deterministic', async () => {
    const src = freshDir();
    await fs.mkdir(path.join(src, 'bin'), { recursive: true });
    await fs.writeFile(path.join(src, 'bin/busybox'), 'BB');
    await fs.chmod(path.join(src, 'bin/busybox'), 0o4755);
    await fs.link(path.join(src, 'bin/busybox'), path.join(src, 'bin/ls'));
    await fs.symlink('busybox', path.join(src, 'bin/sh'));
    await fs.writeFile(path.join(src, 'owned'), 'o');
    await fs.chown(path.join(src, 'owned'), 1234, 5678);
    await fs.utimes(path.join(src, 'owned'), 1_500_000_000, 1_500_000_000);

    const packed = async () => {
      const chunks: Buffer[] = [];
      const { Writable } = await import('node:stream');
      await packLayerFromDir(
        src,
        new Writable({
          write(chunk, _e, cb) {
            chunks.push(chunk);
            cb();
          },
        }),
        { overlayUpper: false },
      );
      return Buffer.concat(chunks);
    };
    const first = await packed();
    expect((await packed()).equals(first)).toBe(true);

    const dest = freshDir();
    await extractLayer(Readable.from([first]), dest);
    const bb = await fs.stat(path.join(dest, 'bin/busybox'));
    const ls = await fs.stat(path.join(dest, 'bin/ls'));
    expect(bb.mode & 0o7777).toBe(0o4755);
    expect(ls.ino).toBe(bb.ino);
    expect(await fs.readlink(path.join(dest, 'bin/sh'))).toBe('busybox');
    const owned = await fs.stat(path.join(dest, 'owned'));
    expect([owned.uid, owned.gid, owned.mtimeMs]).toEqual([1234, 5678, 1_500_000_000_000]);
  });

  it('turns overlay whiteouts and opaque dirs of an upper dir into .wh. entries', async () => {
    const upper = freshDir();
    await fs.mkdir(path.join(upper, 'etc'), { recursive: true });
    execFileSync('mknod', [path.join(upper, 'etc/gone'), 'c', '0', '0']);
    await fs.mkdir(path.join(upper, 'var/lib'), { recursive: true });
    const names: string[] = [];
    const pack = tar.extract();
    const done = (async () => {
      for await (const entry of pack) {
        names.push(`${entry.header.type}:${entry.header.name}`);
        entry.resume();
      }
    })();
    await packLayerFromDir(upper, pack as unknown as NodeJS.WritableStream, {
      overlayUpper: true,
      opaqueDirs: ['./var/lib/'],
    });
    await done;
    expect(names).toEqual([
      'directory:etc',
      'file:etc/.wh.gone',
      'directory:var',
      'directory:var/lib',
      'file:var/lib/.wh..wh..opq',
    ]);
  });

  it('refuses a real device node', async () => {
    const dir = freshDir();
    await fs.mkdir(dir);
    execFileSync('mknod', [path.join(dir, 'null'), 'c', '1', '3']);
    const sink = new (await import('node:stream')).PassThrough().resume();
    await expect(packLayerFromDir(dir, sink, { overlayUpper: true })).rejects.toBeInstanceOf(UnsafeArchiveError);
  });
});
