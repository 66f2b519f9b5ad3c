import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launchContainer } from '../../src/container/launch/helper-process.js';
import type { ContainerSpec } from '../../src/container/types.js';
import { EnvironmentError } from '../../src/errors.js';

let tmp: string;
const saved = process.env.ISOBENCH_HELPER;

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-launch-'));
});

afterEach(async () => {
  if (saved === undefined) delete process.env.ISOBENCH_HELPER;
  else process.env.ISOBENCH_HELPER = saved;
  await fs.rm(tmp, { recursive: true, force: true });
});

function spec(): ContainerSpec {
  return {
    id: 'x',
    lowerDirs: [],
    upperDir: path.join(tmp, 'upper'),
    workDir: path.join(tmp, 'work'),
    rootfsDir: path.join(tmp, 'rootfs'),
    args: ['true'],
    env: [],
    cwd: '/',
    uid: 0,
    gid: 0,
    additionalGids: [],
    hostname: 'x',
    network: 'none',
    limits: {},
  };
}

describe('launchContainer without a usable helper', () => {
  it('throws EnvironmentError naming the set-up command when the binary is missing', async () => {
    process.env.ISOBENCH_HELPER = path.join(tmp, 'no-such-helper');
    const launch = launchContainer(spec(), { mode: { kind: 'attached', stdio: 'ignore' }, cgroupProcsFiles: [] });
    await expect(launch).rejects.toThrow(EnvironmentError);
    await expect(launch).rejects.toMatchObject({ hint: 'run the set-up command: bash scripts/setup.sh' });
  });
});
