// Bad input that needs root to set up: a read-only state root (a tmpfs mounted read-only, set up
// before or never), and an image still used by a container. Each gives one line naming the path
// or the fix, the exit status of its error code, and the state root unchanged. The cases that
// need no root are in test/unit/cli-bad-input.test.ts.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_STATUS } from '../../src/errors.js';
import { packageDir } from '../../src/paths.js';
import { runCliInProcess } from '../fixtures/cli-in-process.js';
import { snapshotTree } from '../fixtures/tree-snapshot.js';
import { requireHost } from '../support/host.js';
import { makeBusyboxImage, makeTestRoot, removeTestRoot, type TestRoot } from './runtime-fixture.js';

await requireHost('root');

const BUSYBOX_CONTEXT = path.join(packageDir(), 'scenarios', 'images', 'busybox');
const FIX = 'give --root (or ISOBENCH_ROOT) a directory isobench can write';

let work: string;
/** A state root with a store and an image, then mounted read-only. */
let readOnly: string;
/** A read-only tmpfs where no store was ever set up. */
let readOnlyFresh: string;
let t: TestRoot;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-bad-input-root-'));
  readOnly = path.join(work, 'ro');
  readOnlyFresh = path.join(work, 'ro-fresh');
  await fs.mkdir(readOnly);
  await fs.mkdir(readOnlyFresh);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', readOnly]);
  await makeBusyboxImage(readOnly, 'busybox:latest');
  execFileSync('mount', ['-o', 'remount,ro', readOnly]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnlyFresh]);
  t = await makeTestRoot('bad-input-root');
  await makeBusyboxImage(t.root, 'busybox:latest');
});

afterAll(async () => {
  for (const dir of [readOnly, readOnlyFresh]) {
    if (dir) execFileSync('umount', [dir], { stdio: 'ignore' });
  }
  if (work) await fs.rm(work, { recursive: true, force: true });
  if (t) {
    await runCliInProcess(t.root, ['rm', '-f', 'uses-busybox']);
    expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
  }
});

/** Runs `isobench --root ROOT ARGS`, checks one line, no stdout, and `root` unchanged; returns stderr and status. */
async function runUnchanged(root: string, args: string[]): Promise<{ stderr: string; status: number }> {
  const before = await snapshotTree(root);
  const result = await runCliInProcess(root, args);
  expect(result.stderr.split('\n')).toHaveLength(2);
  expect(result.stdout).toBe('');
  expect(await snapshotTree(root)).toEqual(before);
  return result;
}

describe('a read-only state root', () => {
  it.each([
    ['run', ['run', 'busybox', 'true']],
    ['image build', ['image', 'build', '-t', 'x', BUSYBOX_CONTEXT]],
    ['image import', ['image', 'import', path.join(packageDir(), 'package.json')]],
    ['image rm', ['image', 'rm', 'busybox']],
    ['gc', ['gc']],
    ['suite run', ['suite', 'run', '--targets', 'native', 'startup']],
  ])('%s: names the read-only file system and the fix (exit 2)', async (_name, args) => {
    const { stderr, status } = await runUnchanged(readOnly, args);
    expect(stderr).toBe(`isobench: the state root ${readOnly} is on a read-only file system (EROFS); ${FIX}\n`);
    expect(status).toBe(2);
  });

  it.each([
    ['image ls', ['image', 'ls']],
    ['ps -a', ['ps', '-a']],
  ])('%s: still reads a store set up before', async (_name, args) => {
    const before = await snapshotTree(readOnly);
    const result = await runCliInProcess(readOnly, args);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(await snapshotTree(readOnly)).toEqual(before);
  });

  it.each([
    ['image ls', ['image', 'ls']],
    ['ps -a', ['ps', '-a']],
  ])('%s: one never set up is named, not a misleading ENOENT', async (_name, args) => {
    const { stderr, status } = await runUnchanged(readOnlyFresh, args);
    expect(stderr).toBe(
      `isobench: cannot set up the image store in the state root ${readOnlyFresh}: it is not writable (EROFS); ` +
        'give --root (or ISOBENCH_ROOT) a writable directory, or one where an image store was set up before\n',
    );
    expect(status).toBe(2);
  });
});

describe('image rm of an image in use', () => {
  it('names the commands that exist to free it (exit 4, conflict) and removes nothing', async () => {
    const created = await runCliInProcess(t.root, ['run', '--name', 'uses-busybox', 'busybox', 'true']);
    expect(created.status).toBe(0);
    const { stderr, status } = await runUnchanged(t.root, ['image', 'rm', 'busybox']);
    expect(stderr).toBe(
      'isobench: image busybox:latest is in use by a container; remove the containers that use it first ' +
        '(`isobench ps -a` lists them, `isobench rm -f CONTAINER` removes one), then remove the image\n',
    );
    expect(status).toBe(EXIT_STATUS.CONFLICT);
  });
});
