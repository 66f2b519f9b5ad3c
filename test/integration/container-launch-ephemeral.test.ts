import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEphemeral } from '../../src/container/launch/ephemeral.js';
import { WorkloadExecError } from '../../src/container/launch/helper-protocol.js';
import { rootLayout } from '../../src/paths.js';
import { ensureHelperBuilt, makeBusyboxRootfs } from '../fixtures/rootfs.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

let tmp: string;
let lower: string;

beforeAll(async () => {
  ensureHelperBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-ephemeral-'));
  lower = path.join(tmp, 'layers', 'busybox');
  await fs.mkdir(lower, { recursive: true });
  await makeBusyboxRootfs(lower);
});

afterAll(async () => {
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(tmp);
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('runEphemeral', () => {
  it('runs a RUN step as a named user, keeps only the upper dir', async () => {
    const layout = rootLayout(tmp);
    const upperDir = path.join(tmp, 'step-upper');
    await fs.mkdir(upperDir);
    const result = await runEphemeral(layout, {
      lowerDirs: [lower],
      upperDir,
      args: ['sh', '-c', 'id -u; id -G; touch /tmp/made; echo warn >&2; exit 3'],
      env: ['PATH=/bin'],
      cwd: '/',
      user: 'tester',
      network: 'none',
      stdio: 'pipe',
    });
    expect(result).toEqual({ exitCode: 3, stdout: '1000\n1000 10\n', stderr: 'warn\n' });
    expect((await fs.stat(path.join(upperDir, 'tmp', 'made'))).uid).toBe(1000);
    expect(await fs.readdir(layout.tmp)).toEqual([]);
  });

  it('cleans up when the command is missing', async () => {
    const layout = rootLayout(tmp);
    const upperDir = path.join(tmp, 'step-upper-2');
    await fs.mkdir(upperDir);
    await expect(
      runEphemeral(layout, {
        lowerDirs: [lower],
        upperDir,
        args: ['nope'],
        env: [],
        cwd: '/',
        network: 'none',
        stdio: 'ignore',
      }),
    ).rejects.toThrow(WorkloadExecError);
    expect(await fs.readdir(layout.tmp)).toEqual([]);
  });
});
