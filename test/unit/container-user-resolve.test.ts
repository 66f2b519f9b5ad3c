import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveUser } from '../../src/container/user.js';
import { InputError } from '../../src/errors.js';

let tmp: string;
let lower: string;
let base: string;
let upper: string;

async function writeEtc(dir: string, passwd: string, group: string): Promise<void> {
  await fs.mkdir(path.join(dir, 'etc'), { recursive: true });
  await fs.writeFile(path.join(dir, 'etc', 'passwd'), passwd);
  await fs.writeFile(path.join(dir, 'etc', 'group'), group);
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-user-'));
  lower = path.join(tmp, 'lower');
  base = path.join(tmp, 'base');
  upper = path.join(tmp, 'upper');
  await writeEtc(
    lower,
    'root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000:t:/home/tester:/bin/sh\n#bad\nbroken:x:no:1::/:/bin/sh\n',
    'root:x:0:\nwheel:x:10:tester,other\naudio:x:29:tester\ntester:x:1000:\nstaff:x:50:\n',
  );
  await writeEtc(base, 'ghost:x:5:5::/g:/bin/sh\n', 'ghost:x:5:\n');
  await fs.mkdir(path.join(upper, 'etc'), { recursive: true });
  await fs.writeFile(
    path.join(upper, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nadded:x:2000:50::/srv:/bin/sh\n',
  );
  // A hostile layer pointing etc at the host: must never be read.
  await fs.mkdir(path.join(tmp, 'evil'));
  await fs.symlink('/etc', path.join(tmp, 'evil', 'etc'));
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('resolveUser', () => {
  it('defaults to root', async () => {
    expect(await resolveUser(undefined, [lower])).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/root' });
    expect(await resolveUser('', [lower])).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/root' });
  });

  it('resolves a name with its primary and supplementary groups', async () => {
    expect(await resolveUser('tester', [lower, base])).toEqual({
      uid: 1000,
      gid: 1000,
      additionalGids: [10, 29],
      home: '/home/tester',
    });
  });

  it('resolves a uid through passwd and a bare uid without an entry', async () => {
    expect(await resolveUser('1000', [lower])).toMatchObject({ uid: 1000, gid: 1000 });
    expect(await resolveUser('4242', [lower])).toEqual({ uid: 4242, gid: 0, additionalGids: [] });
  });

  it('resolves name:group and uid:gid', async () => {
    expect(await resolveUser('tester:staff', [lower])).toMatchObject({ uid: 1000, gid: 50, additionalGids: [10, 29] });
    expect(await resolveUser('7:8', [lower])).toEqual({ uid: 7, gid: 8, additionalGids: [] });
  });

  it('uses the topmost layer that has the file, upper first', async () => {
    expect(await resolveUser('ghost', [base, lower])).toMatchObject({ uid: 5, gid: 5 });
    expect(await resolveUser('added', [lower], upper)).toMatchObject({ uid: 2000, gid: 50, home: '/srv' });
    // group comes from the lower layer: the upper has no etc/group
    await expect(resolveUser('tester', [lower], upper)).rejects.toThrow(InputError);
  });

  it('names an unknown user and the file it searched', async () => {
    await expect(resolveUser('nobody-here', [lower])).rejects.toThrow(
      "unknown user `nobody-here`: no entry in the image's /etc/passwd",
    );
    await expect(resolveUser('tester:nogroup', [lower])).rejects.toThrow('unknown group `nogroup`');
  });

  it('never follows a symlinked etc out of the layer', async () => {
    await expect(resolveUser('root', [path.join(tmp, 'evil')])).rejects.toThrow(InputError);
    expect(await resolveUser('0', [path.join(tmp, 'evil')])).toEqual({ uid: 0, gid: 0, additionalGids: [] });
  });
});
