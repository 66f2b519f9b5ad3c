import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchContainer } from '../../src/container/launch/helper-process.js';
import { WorkloadExecError } from '../../src/container/launch/helper-protocol.js';
import type { ContainerSpec, LaunchedContainer } from '../../src/container/types.js';
import { HelperError } from '../../src/errors.js';
import { ensureHelperBuilt, makeBusyboxRootfs } from '../fixtures/rootfs.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

let tmp: string;
let lower: string;
let n = 0;
let dirs: { upper: string; work: string; rootfs: string };
const launchedPids: number[] = [];

beforeAll(async () => {
  ensureHelperBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-launch-'));
  lower = path.join(tmp, 'lower');
  await fs.mkdir(lower);
  await makeBusyboxRootfs(lower);
});

beforeEach(async () => {
  const base = path.join(tmp, `c${n++}`);
  dirs = {
    upper: path.join(base, 'upper'),
    work: path.join(base, 'work'),
    rootfs: path.join(base, 'rootfs'),
  };
  await Promise.all([dirs.upper, dirs.work, dirs.rootfs].map((d) => fs.mkdir(d, { recursive: true })));
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

afterEach(() => {
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(tmp);
  for (const pid of launchedPids.splice(0)) expect(isAlive(pid)).toBe(false);
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function makeSpec(args: string[], over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    id: 'test',
    lowerDirs: [lower],
    upperDir: dirs.upper,
    workDir: dirs.work,
    rootfsDir: dirs.rootfs,
    args,
    env: ['PATH=/bin', 'GREETING=hello there'],
    cwd: '/',
    uid: 0,
    gid: 0,
    additionalGids: [],
    hostname: 'testbox',
    network: 'none',
    limits: {},
    ...over,
  };
}

function collect(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  const readable = stream as Readable;
  let text = '';
  readable.setEncoding('utf8');
  readable.on('data', (chunk: string) => {
    text += chunk;
  });
  return new Promise((resolve) => readable.on('close', () => resolve(text)));
}

async function run(
  args: string[],
  over: Partial<ContainerSpec> = {},
  onStarted?: (c: LaunchedContainer) => void,
): Promise<{ exitCode: number; signal?: string; stdout: string; stderr: string }> {
  const launched = await launchContainer(makeSpec(args, over), {
    mode: { kind: 'attached', stdio: 'pipe' },
    cgroupProcsFiles: [],
  });
  launchedPids.push(launched.pid, launched.monitorPid);
  const output = Promise.all([collect(launched.stdout), collect(launched.stderr)]);
  onStarted?.(launched);
  const { atNs: _reportedAtNs, ...ended } = await launched.exited!;
  const [stdout, stderr] = await output;
  // The helper unmounts the container after its report: afterEach checks that it did.
  await launched.released;
  return { ...ended, stdout, stderr };
}

describe('launchContainer (attached, real namespaces)', () => {
  it('runs the workload as PID 1 with the spec hostname', async () => {
    const result = await run(['sh', '-c', 'echo $$; hostname']);
    expect(result).toEqual({ exitCode: 0, stdout: '1\ntestbox\n', stderr: '' });
  });

  it("reports launch stamps on the caller's monotonic clock, in order", async () => {
    const beforeNs = process.hrtime.bigint();
    const launched = await launchContainer(makeSpec(['true']), {
      mode: { kind: 'attached', stdio: 'ignore' },
      cgroupProcsFiles: [],
    });
    const startedNs = process.hrtime.bigint();
    launchedPids.push(launched.pid, launched.monitorPid);
    expect(await launched.exited).toMatchObject({ exitCode: 0 });
    await launched.released;
    const stamps = launched.phasesNs!;
    expect(stamps).toBeDefined();
    // Spawned after beforeNs; exec comes before the `pid` line that resolved the launch.
    const order = [beforeNs, stamps.helperStartNs, stamps.namespacesNs, stamps.rootfsNs, stamps.execNs, startedNs];
    for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThanOrEqual(order[i - 1]!);
  });

  it('with network none, has only lo and it is up', async () => {
    const result = await run(['sh', '-c', 'ls /sys/class/net; ip -o link']);
    const [names, ...links] = result.stdout.trim().split('\n');
    expect(names).toBe('lo');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
  });

  it('hides host mounts and shares the host kernel', async () => {
    const result = await run(['sh', '-c', 'cat /proc/self/mountinfo; echo; uname -r']);
    const mountPoints = result.stdout
      .split('\n')
      .filter((line) => / - /.test(line))
      .map((line) => line.split(' ')[4]!);
    expect(mountPoints[0]).toBe('/');
    for (const point of mountPoints.slice(1)) expect(point).toMatch(/^\/(proc|dev|sys)(\/|$)/);
    expect(result.stdout.trim().split('\n').at(-1)).toBe(os.release());
    expect(result.stdout).toMatch(/ \/ rw,relatime - overlay overlay /);
  });

  it('propagates exit codes', async () => {
    expect((await run(['sh', '-c', 'exit 7'])).exitCode).toBe(7);
  });

  it('reports a kill by signal as 128+n', async () => {
    const result = await run(['sleep', '30'], {}, (c) => process.kill(c.pid, 'SIGKILL'));
    expect(result).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
  });

  it('passes env, cwd (created when missing) and numeric user', async () => {
    const result = await run(['sh', '-c', 'echo "$GREETING"; pwd; id -u; id -g; id -G'], {
      cwd: '/home/tester/work',
      uid: 1000,
      gid: 1000,
      additionalGids: [10],
    });
    expect(result.stdout).toBe('hello there\n/home/tester/work\n1000\n1000\n1000 10\n');
  });

  it('gives root the default capabilities and a non-root user none', async () => {
    const root = await run(['sh', '-c', 'grep -E "^Cap(Eff|Bnd)" /proc/self/status']);
    expect(root.stdout).toBe('CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n');
    const user = await run(['sh', '-c', 'grep ^CapEff /proc/self/status'], { uid: 1000, gid: 1000 });
    expect(user.stdout).toBe('CapEff:\t0000000000000000\n');
  });

  it('mounts /dev, masks and read-only paths', async () => {
    const result = await run([
      'sh',
      '-c',
      'ls /dev; echo x > /proc/sysrq-trigger 2>/dev/null || echo ro; ls /sys/firmware | wc -l; ls -l /dev/null',
    ]);
    expect(result.stdout).toContain('null\n');
    expect(result.stdout).toContain('ptmx\n');
    expect(result.stdout).toContain('ro\n0\n');
    expect(result.stdout).toMatch(/crw-rw-rw- .* 1, +3 .* \/dev\/null/);
  });

  it('clamps rlimits to the hard limit instead of failing', async () => {
    const hard = readFileSync('/proc/self/limits', 'utf8').match(/Max open files\s+\d+\s+(\d+)/)![1];
    const result = await run(['sh', '-c', 'ulimit -n']);
    expect(Number(result.stdout)).toBe(Math.min(Number(hard), 1048576));
  });

  it('bind mounts a host dir read-only', async () => {
    const ctx = path.join(tmp, 'ctx');
    await fs.mkdir(ctx, { recursive: true });
    await fs.writeFile(path.join(ctx, 'file'), 'content');
    const result = await run(['sh', '-c', 'cat /build/ctx/file; touch /build/ctx/new 2>/dev/null || echo denied'], {
      binds: [{ source: ctx, target: '/build/ctx', readonly: true }],
    });
    expect(result.stdout).toBe('contentdenied\n');
  });

  it('writes changes to the upper dir only', async () => {
    await run(['sh', '-c', 'echo data > /tmp/out; rm /bin/true']);
    expect(await fs.readFile(path.join(dirs.upper, 'tmp', 'out'), 'utf8')).toBe('data\n');
    expect((await fs.lstat(path.join(dirs.upper, 'bin', 'true'))).isCharacterDevice()).toBe(true);
    expect((await fs.lstat(path.join(lower, 'bin', 'true'))).isSymbolicLink()).toBe(true);
  });

  it('runs FROM scratch (no lower dirs)', async () => {
    await fs.copyFile('/bin/busybox', path.join(dirs.upper, 'busybox'));
    const result = await run(['/busybox', 'sh', '-c', '/busybox ls /'], { lowerDirs: [] });
    expect(result.stdout).toBe('busybox\ndev\nproc\nsys\n');
  });

  it('mounts more lower dirs than one page of absolute paths holds (relative paths)', async () => {
    const many = path.join(tmp, 'many');
    const lowers: string[] = [];
    for (let i = 0; i < 35; i++) {
      const dir = path.join(many, `${String(i).padStart(2, '0')}-${'l'.repeat(90)}`);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, `f${i}`), '');
      lowers.push(dir);
    }
    expect(lowers.join(':').length).toBeGreaterThan(4096);
    const result = await run(['sh', '-c', 'ls / | grep -c "^f"'], { lowerDirs: [...lowers, lower] });
    expect(result.stdout).toBe('35\n');
    const tooMany = Array.from({ length: 60 }, () => lowers).flat();
    await expect(run(['true'], { lowerDirs: [...tooMany, lower] })).rejects.toMatchObject({
      syscall: 'mount',
      errno: 7,
    });
  });

  it('rejects a missing command with WorkloadExecError 127', async () => {
    const launch = run(['no-such-command']);
    await expect(launch).rejects.toThrow(WorkloadExecError);
    await expect(launch).rejects.toMatchObject({ exitCode: 127 });
    await expect(run(['no-such-command'])).rejects.toThrow(/exec `no-such-command`: executable file not found in PATH/);
  });

  it('rejects a setup failure with a HelperError naming syscall and path', async () => {
    const launch = run(['true'], { rootfsDir: path.join(tmp, 'does-not-exist') });
    await expect(launch).rejects.toThrow(HelperError);
    await expect(launch).rejects.toMatchObject({ syscall: 'mount', errno: 2 });
    await expect(launch).rejects.toThrow(/mount `overlay` on `.*does-not-exist`.*No such file or directory/);
  });
});
