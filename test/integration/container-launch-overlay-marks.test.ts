import { spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchContainer } from '../../src/container/launch/helper-process.js';
import { ensureHelperBuilt, makeBusyboxRootfs } from '../fixtures/rootfs.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

let tmp: string;
let helper: string;

beforeAll(async () => {
  helper = ensureHelperBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-marks-'));
});

afterAll(async () => {
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(tmp);
  await fs.rm(tmp, { recursive: true, force: true });
});

function marks(dir: string, input: string) {
  return spawnSync(helper, ['overlay-marks', dir], { input, encoding: 'utf8' });
}

describe('overlay-marks and opaque-dirs', () => {
  it('round-trips whiteouts and opaque dirs, which overlayfs then honours', async () => {
    const lower = path.join(tmp, 'lower');
    const layer = path.join(tmp, 'layer');
    await fs.mkdir(lower);
    await makeBusyboxRootfs(lower);
    await fs.mkdir(path.join(lower, 'data', 'keep'), { recursive: true });
    await fs.writeFile(path.join(lower, 'data', 'old'), 'old');
    await fs.mkdir(path.join(layer, 'data'), { recursive: true });
    await fs.writeFile(path.join(layer, 'data', 'new'), 'new');

    const result = marks(layer, 'o data\nw bin/true\no fresh/dir\n');
    expect(result.status).toBe(0);
    expect((await fs.lstat(path.join(layer, 'bin', 'true'))).isCharacterDevice()).toBe(true);
    const listed = spawnSync(helper, ['opaque-dirs', layer], { encoding: 'utf8' });
    expect(listed.stdout.split('\n').filter(Boolean).sort()).toEqual(['data', 'fresh/dir']);

    // Mount the marked layer over the busybox layer: the kernel must agree with the marks.
    await Promise.all(['upper', 'work', 'rootfs'].map((d) => fs.mkdir(path.join(tmp, d))));
    const launched = await launchContainer(
      {
        id: 'marks',
        lowerDirs: [layer, lower],
        upperDir: path.join(tmp, 'upper'),
        workDir: path.join(tmp, 'work'),
        rootfsDir: path.join(tmp, 'rootfs'),
        args: ['sh', '-c', 'ls /data; test -e /bin/true || echo no-true'],
        env: ['PATH=/bin'],
        cwd: '/',
        uid: 0,
        gid: 0,
        additionalGids: [],
        hostname: 'marks',
        network: 'none',
        limits: {},
      },
      { mode: { kind: 'attached', stdio: 'pipe' }, cgroupProcsFiles: [] },
    );
    let out = '';
    launched.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    // Listen for close before awaiting anything: it may come before the exit is reported.
    const closed = new Promise((resolve) => launched.stdout!.on('close', resolve));
    expect(await launched.exited).toMatchObject({ exitCode: 0 });
    await closed;
    await launched.released;
    expect(out).toBe('new\nno-true\n');
  });

  it('refuses paths that climb out or go through a symlink', async () => {
    const layer = path.join(tmp, 'hostile');
    await fs.mkdir(layer);
    await fs.symlink(tmp, path.join(layer, 'link'));
    for (const line of ['w ../escape', 'w /abs', 'o link/inside', 'w link/x', 'x nope']) {
      const result = marks(layer, `${line}\n`);
      expect(result.status).toBe(125);
      expect(result.stderr).toMatch(/^error \S+ \d+ /);
    }
    await expect(fs.lstat(path.join(tmp, 'x'))).rejects.toThrow();
    await expect(fs.lstat(path.join(tmp, 'inside'))).rejects.toThrow();
  });
});
