// `isobench run --entrypoint` and `--env-file`, through the real CLI: Docker's meaning of each, and
// bad input refused with one line, exit 2, before anything is created.
import { writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { runCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { makeTestRoot, removeTestRoot, type TestRoot } from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;

beforeAll(async () => {
  t = await makeTestRoot('run-flags');
  // An image with both an Entrypoint and a Cmd, so replacing one shows what happens to the other.
  await commitBusyboxImage(t.root, 'ep:1', {
    Env: ['PATH=/bin', 'FROM_IMAGE=image'],
    Entrypoint: ['echo', 'entrypoint'],
    Cmd: ['cmd'],
  });
});

afterAll(async () => {
  if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

const containers = async () => (await readdir(path.join(t.root, 'containers')).catch(() => [])).length;

describe('run --entrypoint', () => {
  it('keeps the image Entrypoint and Cmd without it', async () => {
    expect(await runCli(t.root, ['run', '--rm', 'ep:1'])).toMatchObject({ code: 0, stdout: 'entrypoint cmd\n' });
    expect(await runCli(t.root, ['run', '--rm', 'ep:1', 'arg'])).toMatchObject({ code: 0, stdout: 'entrypoint arg\n' });
  });

  it("replaces the Entrypoint and drops the image's Cmd, as Docker does", async () => {
    expect(await runCli(t.root, ['run', '--rm', '--entrypoint', 'echo', 'ep:1'])).toMatchObject({
      code: 0,
      stdout: '\n',
    });
    expect(await runCli(t.root, ['run', '--rm', '--entrypoint', 'echo', 'ep:1', 'a', 'b'])).toMatchObject({
      code: 0,
      stdout: 'a b\n',
    });
    // '' clears it: the arguments are the whole command.
    expect(await runCli(t.root, ['run', '--rm', '--entrypoint', '', 'ep:1', 'echo', 'plain'])).toMatchObject({
      code: 0,
      stdout: 'plain\n',
    });
  });
});

describe('run --env-file', () => {
  it('reads VAR=VALUE literally, takes a bare VAR from its own environment, and lets -e win', async () => {
    const file = path.join(t.root, 'vars.env');
    writeFileSync(file, '# a comment\n\nA=one two\nB="quoted"\nFROM_IMAGE=file\nHOST_ONLY\nUNSET_HERE\nC=file\n');
    const result = await runCli(
      t.root,
      [
        'run',
        '--rm',
        '--env-file',
        file,
        '-e',
        'C=flag',
        '--entrypoint',
        'sh',
        'ep:1',
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, not a template
        'echo "$A|$B|$FROM_IMAGE|$HOST_ONLY|${UNSET_HERE-unset}|$C"',
      ],
      { HOST_ONLY: 'from-host' },
    );
    expect(result).toMatchObject({ code: 0, stdout: 'one two|"quoted"|file|from-host|unset|flag\n' });
  });

  it('refuses a missing file and a malformed line: one line, exit 2, no container', async () => {
    const before = await containers();
    const missing = await runCli(t.root, ['run', '--rm', '--env-file', path.join(t.root, 'nope.env'), 'ep:1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^isobench: --env-file \S+nope\.env: cannot be read \(ENOENT\); give the path/);
    expect(missing.stderr.split('\n')).toHaveLength(2);
    const bad = path.join(t.root, 'bad.env');
    writeFileSync(bad, 'OK=1\nBAD NAME=2\n');
    const malformed = await runCli(t.root, ['run', '--rm', '--env-file', bad, 'ep:1']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^isobench: --env-file \S+bad\.env:2: expected VAR=VALUE or VAR/);
    expect(await containers()).toBe(before);
  });
});
