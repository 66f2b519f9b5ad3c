import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInContainer } from '../../src/container/launch/exec-process.js';
import { type LaunchedHelper, launchContainer } from '../../src/container/launch/helper-process.js';
import { WorkloadExecError } from '../../src/container/launch/helper-protocol.js';
import { ensureHelperBuilt, makeBusyboxRootfs } from '../fixtures/rootfs.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

let tmp: string;
let container: LaunchedHelper;
let n = 0;

beforeAll(async () => {
  ensureHelperBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-exec-'));
  const lower = path.join(tmp, 'lower');
  await Promise.all(['lower', 'upper', 'work', 'rootfs'].map((d) => fs.mkdir(path.join(tmp, d))));
  await makeBusyboxRootfs(lower);
  container = await launchContainer(
    {
      id: 'exec-target',
      lowerDirs: [lower],
      upperDir: path.join(tmp, 'upper'),
      workDir: path.join(tmp, 'work'),
      rootfsDir: path.join(tmp, 'rootfs'),
      args: ['sh', '-c', 'echo ready > /tmp/ready; exec sleep 1000'],
      env: ['PATH=/bin'],
      cwd: '/',
      uid: 0,
      gid: 0,
      additionalGids: [],
      hostname: 'target',
      network: 'none',
      limits: {},
    },
    { mode: { kind: 'attached', stdio: 'ignore' }, cgroupProcsFiles: [] },
  );
  // launchContainer resolves once `sh` runs; the tests expect it to have written /tmp/ready and
  // become `sleep` (on a busy host that can take a while). Bounded: ~10 s.
  for (let i = 0; i < 500 && readFileSync(`/proc/${container.pid}/comm`, 'utf8') !== 'sleep\n'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

afterAll(async () => {
  if (container) {
    process.kill(container.pid, 'SIGKILL');
    expect(await container.exited).toMatchObject({ exitCode: 137 });
    await container.released;
  }
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(tmp);
  await fs.rm(tmp, { recursive: true, force: true });
});

function exec(args: string[], over: { uid?: number; cwd?: string } = {}) {
  return execInContainer(
    { pid: container.pid, cgroupProcsFiles: [] },
    {
      args,
      env: ['PATH=/bin', 'X=1'],
      cwd: over.cwd ?? '/',
      uid: over.uid ?? 0,
      gid: over.uid ?? 0,
      additionalGids: [],
    },
    'pipe',
    path.join(tmp, `exec-${n++}.conf`),
  );
}

describe('execInContainer', () => {
  it('joins the namespaces of the running container', async () => {
    const result = await exec([
      'sh',
      '-c',
      'hostname; cat /tmp/ready; echo $X; ls /sys/class/net; ps -o pid,comm | grep -c sleep',
    ]);
    expect(result).toEqual({ exitCode: 0, stdout: 'target\nready\n1\nlo\n1\n', stderr: '' });
  });

  it('propagates the exit code, user and cwd', async () => {
    const result = await exec(['sh', '-c', 'id -u; pwd; exit 5'], { uid: 1000, cwd: '/tmp' });
    expect(result).toEqual({ exitCode: 5, stdout: '1000\n/tmp\n', stderr: '' });
  });

  it('rejects a missing command with 127', async () => {
    await expect(exec(['nope'])).rejects.toThrow(WorkloadExecError);
  });
});
