// The host key from fake /etc/machine-id and DMI files: hashed, stable, never the raw id, and
// independent of the hostname this test happens to run on.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseHostLabel, readHostIdentity } from '../../src/host/host-identity.js';
import { hostOf } from '../../src/results/history.js';
import { makeRun } from '../fixtures/compare/make-run.js';

const MACHINE_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const UUID = '4C4C4544-0042-3510-8052-B4C04F4E3732';

describe('host identity', () => {
  let dir: string;
  let fsRoot: string;
  let sysRoot: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-host-id-'));
    fsRoot = path.join(dir, 'root');
    sysRoot = path.join(dir, 'sys');
    await mkdir(path.join(fsRoot, 'etc'), { recursive: true });
    await mkdir(path.join(sysRoot, 'class', 'dmi', 'id'), { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const read = (extra: { label?: string; hostClass?: string } = {}) =>
    readHostIdentity({ fsRoot, sysRoot, hostname: 'random-ci-7f3a', ...extra });

  it('hashes /etc/machine-id: 16 hex digits, stable, not the id, not the hostname', async () => {
    await writeFile(path.join(fsRoot, 'etc', 'machine-id'), `${MACHINE_ID}\n`);
    const id = await read();
    expect(id).toEqual({
      key: expect.stringMatching(/^[0-9a-f]{16}$/),
      keySource: 'machine-id',
      label: 'random-ci-7f3a',
      class: null,
    });
    expect(id.key).not.toBe(MACHINE_ID.slice(0, 16));
    expect(id.key).not.toBe(createHash('sha256').update(MACHINE_ID).digest('hex').slice(0, 16));
    // Another hostname, same machine: same key.
    expect((await readHostIdentity({ fsRoot, sysRoot, hostname: 'other-name' })).key).toBe(id.key);
  });

  it('falls back to the DMI product UUID, then to the hostname', async () => {
    await writeFile(path.join(fsRoot, 'etc', 'machine-id'), 'uninitialized\n');
    await writeFile(path.join(sysRoot, 'class', 'dmi', 'id', 'product_uuid'), `${UUID}\n`);
    const fromDmi = await read();
    expect(fromDmi.keySource).toBe('dmi-product-uuid');
    expect(fromDmi.key).toMatch(/^[0-9a-f]{16}$/);
    await writeFile(path.join(sysRoot, 'class', 'dmi', 'id', 'product_uuid'), '00000000-0000-0000-0000-000000000000\n');
    expect(await read()).toMatchObject({ key: 'random-ci-7f3a', keySource: 'hostname' });
  });

  it('takes the label and class given, and refuses bad ones naming the flag', async () => {
    expect(await read({ label: 'runner-3', hostClass: 'c6i.large' })).toMatchObject({
      label: 'runner-3',
      class: 'c6i.large',
    });
    expect(() => parseHostLabel('has space', '--host-label')).toThrow(/expected --host-label to be 1 to 64/);
    expect(() => parseHostLabel('', '--host-class')).toThrow(/expected --host-class/);
    expect(() => parseHostLabel('x'.repeat(65), '--host-class')).toThrow(/expected --host-class/);
    await expect(read({ hostClass: 'a\nb' })).rejects.toMatchObject({ code: 'INPUT' });
  });
});

describe('the host a history files a run under', () => {
  it('is the host key, else (runs recorded before host identity) the hostname', () => {
    const series = [{ metrics: { 'startup.exit': 1e6 } }];
    const keyed = makeRun({
      runId: 'a',
      seed: 1,
      hostname: 'h-1',
      host: { key: 'k1', label: 'L', class: null },
      series,
    });
    expect(hostOf(keyed)).toBe('k1');
    expect(hostOf(makeRun({ runId: 'b', seed: 1, hostname: 'h-1', series }))).toBe('h-1');
  });
});
