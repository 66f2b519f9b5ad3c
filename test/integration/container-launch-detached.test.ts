import { spawn } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchContainer } from '../../src/container/launch/helper-process.js';
import { serializeHelperConfig } from '../../src/container/launch/helper-protocol.js';
import type { ContainerSpec } from '../../src/container/types.js';
import { ensureHelperBuilt, makeBusyboxRootfs } from '../fixtures/rootfs.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

let tmp: string;
let lower: string;
let helper: string;
const cgroupDir = `/sys/fs/cgroup/pids/isobench-launch-test-${process.pid}`;

beforeAll(async () => {
  helper = ensureHelperBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-detached-'));
  lower = path.join(tmp, 'lower');
  await fs.mkdir(lower);
  await makeBusyboxRootfs(lower);
});

/** True while `pid` runs; a zombie (exited, waiting for its reaper: here init) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls `check` every 20 ms, up to ~10 s (a bound against hangs, not a timing assertion). */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

afterAll(async () => {
  if (existsSync(cgroupDir)) {
    for (const pid of readFileSync(path.join(cgroupDir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
      process.kill(Number(pid), 'SIGKILL');
    await waitFor(() => readFileSync(path.join(cgroupDir, 'cgroup.procs'), 'utf8') === '', 'cgroup to empty');
    await fs.rmdir(cgroupDir);
  }
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(tmp);
  await fs.rm(tmp, { recursive: true, force: true });
});

async function containerDirs(
  name: string,
): Promise<Pick<ContainerSpec, 'upperDir' | 'workDir' | 'rootfsDir'> & { dir: string }> {
  const dir = path.join(tmp, name);
  const d = {
    dir,
    upperDir: path.join(dir, 'upper'),
    workDir: path.join(dir, 'work'),
    rootfsDir: path.join(dir, 'rootfs'),
  };
  await Promise.all([d.upperDir, d.workDir, d.rootfsDir].map((p) => fs.mkdir(p, { recursive: true })));
  return d;
}

function spec(d: Pick<ContainerSpec, 'upperDir' | 'workDir' | 'rootfsDir'>, args: string[]): ContainerSpec {
  return {
    id: 'detached',
    lowerDirs: [lower],
    ...d,
    args,
    env: ['PATH=/bin'],
    cwd: '/',
    uid: 0,
    gid: 0,
    additionalGids: [],
    hostname: 'bg',
    network: 'none',
    limits: {},
  };
}

describe('launchContainer (detached)', () => {
  it('logs, records the exit, joins cgroups without the monitor, removes what --rm names, stays small', async () => {
    await fs.mkdir(cgroupDir);
    const d = await containerDirs('c1');
    const state = path.join(tmp, 'state-c1');
    await fs.mkdir(state);
    const launched = await launchContainer(spec(d, ['sh', '-c', 'echo out; echo err >&2; exec sleep 1000']), {
      mode: {
        kind: 'detached',
        stdoutLog: path.join(state, 'stdout.log'),
        stderrLog: path.join(state, 'stderr.log'),
        exitFile: path.join(state, 'exit'),
        removeOnExit: { dirs: [d.dir], cgroupDirs: [cgroupDir] },
      },
      cgroupProcsFiles: [path.join(cgroupDir, 'cgroup.procs')],
    });
    expect(launched.monitorPid).not.toBe(launched.pid);
    expect(readFileSync(`/proc/${launched.monitorPid}/stat`, 'utf8').split(' ')[4]).toBe(String(launched.monitorPid)); // session leader
    expect(readFileSync(path.join(cgroupDir, 'cgroup.procs'), 'utf8')).toBe(`${launched.pid}\n`);
    expect(readFileSync(`/proc/${launched.pid}/cgroup`, 'utf8')).toContain(`pids:/${path.basename(cgroupDir)}\n`);
    // /dev/null on 0-2 and the container's mount namespace (held until the exit is recorded):
    // the monitor holds no pipe of ours and no other file.
    // (It sheds the others right after telling the spawned helper that the workload runs.)
    const monitorFds = () => readdirSync(`/proc/${launched.monitorPid}/fd`).sort().join(' ');
    await waitFor(() => monitorFds() === '0 1 2 3', 'the monitor to shed its fds');
    const heldNs = await fs.readlink(`/proc/${launched.monitorPid}/fd/3`);
    expect(heldNs).toBe(await fs.readlink(`/proc/${launched.pid}/ns/mnt`));
    const rollup = readFileSync(`/proc/${launched.monitorPid}/smaps_rollup`, 'utf8');
    const pssKiB = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)![1]);
    const rssKiB = Number(/^Rss:\s+(\d+) kB/m.exec(rollup)![1]);
    console.log(`detached monitor: Pss ${pssKiB} KiB, Rss ${rssKiB} KiB`);
    expect(pssKiB).toBeLessThan(1024);
    await waitFor(() => readFileSync(path.join(state, 'stderr.log'), 'utf8') === 'err\n', 'stderr log');
    expect(readFileSync(path.join(state, 'stdout.log'), 'utf8')).toBe('out\n');

    process.kill(launched.pid, 'SIGKILL');
    await waitFor(() => existsSync(path.join(state, 'exit')) && !isAlive(launched.monitorPid), 'monitor to finish');
    expect(readFileSync(path.join(state, 'exit'), 'utf8')).toBe('137 9\n');
    expect(existsSync(d.dir)).toBe(false);
    expect(existsSync(cgroupDir)).toBe(false);
    expect((await fs.readdir(state)).sort()).toEqual(['exit', 'stderr.log', 'stdout.log']);
  });

  it('reports a setup failure and leaves no monitor behind', async () => {
    const d = await containerDirs('c2');
    const state = path.join(tmp, 'state-c2');
    await fs.mkdir(state);
    const before = helperProcesses();
    await expect(
      launchContainer(spec(d, ['missing-command']), {
        mode: {
          kind: 'detached',
          stdoutLog: path.join(state, 'o'),
          stderrLog: path.join(state, 'e'),
          exitFile: path.join(state, 'x'),
        },
        cgroupProcsFiles: [],
      }),
    ).rejects.toMatchObject({ exitCode: 127 });
    await waitFor(() => helperProcesses().every((pid) => before.includes(pid)), 'no new helper process');
    expect(existsSync(path.join(state, 'x'))).toBe(false);
  });
});

/** Live (not zombie) processes running this tree's helper binary. */
function helperProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`) === realpathSync(helper) && isAlive(Number(entry)))
        pids.push(Number(entry));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return pids;
}

describe('attached helper and PDEATHSIG', () => {
  it('kills the helper and the container when the spawning process is SIGKILLed', async () => {
    const d = await containerDirs('c3');
    const configFile = path.join(d.dir, 'helper.conf');
    const statusFile = path.join(d.dir, 'status');
    await fs.writeFile(
      configFile,
      serializeHelperConfig(spec(d, ['sleep', '1000']), {
        mode: { kind: 'attached', stdio: 'ignore' },
        cgroupProcsFiles: [],
      }),
    );
    // A stand-in for the node process: a shell that spawns the helper (config on fd 4) and waits for it.
    const parent = spawn(
      '/bin/sh',
      ['-c', `"$0" run attached:none 4<"$1" 3>"$2" & wait`, helper, configFile, statusFile],
      {
        stdio: 'ignore',
      },
    );
    await waitFor(() => existsSync(statusFile) && /^pid \d+$/m.test(readFileSync(statusFile, 'utf8')), 'pid line');
    const status = readFileSync(statusFile, 'utf8');
    const containerPid = Number(/^pid (\d+)$/m.exec(status)![1]);
    const monitorPid = Number(/^monitor (\d+)$/m.exec(status)![1]);
    expect(isAlive(containerPid)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor(() => !isAlive(monitorPid) && !isAlive(containerPid), 'helper and container to die');
  });
});
