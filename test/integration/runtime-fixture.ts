// Shared set-up of the runtime integration tests: a temp state root with a busybox image in its
// store, a unique cgroup parent, output capture, and the leak check every file ends with.
import type { ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import type { ContainerHandle, ExitInfo, RunRequest, Runtime } from '../../src/container/index.js';
import type { ImageRuntimeConfig, StoredImage } from '../../src/image/types.js';
import { rootLayout } from '../../src/paths.js';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { ensureHelperBuilt } from '../fixtures/rootfs.js';

/** A fresh state root and cgroup parent for one test file. */
export interface TestRoot {
  root: string;
  cgroupParent: string;
}

/** Creates the temp root, sets ISOBENCH_CGROUP_PARENT (unique per file) and builds the helper if needed. */
export async function makeTestRoot(label: string): Promise<TestRoot> {
  ensureHelperBuilt();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `isobench-${label}-`));
  const cgroupParent = `isobench-test-${label}-${process.pid}`;
  process.env.ISOBENCH_CGROUP_PARENT = cgroupParent;
  return { root, cgroupParent };
}

/** Packs a busybox rootfs into one layer and commits it as `ref` with `config` (Env PATH, Cmd sh by default). */
export async function makeBusyboxImage(
  root: string,
  ref: string,
  config: ImageRuntimeConfig = {},
): Promise<StoredImage> {
  return commitBusyboxImage(root, ref, {
    Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
    Cmd: ['sh'],
    WorkingDir: '/',
    User: '',
    ...config,
  });
}

function collect(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return Promise.resolve('');
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  return new Promise((resolve) => stream.on('end', () => resolve(text)));
}

/** Runs attached with piped output; resolves with the exit and what the workload printed. */
export async function runCapture(
  runtime: Runtime,
  req: RunRequest,
): Promise<{ exit: ExitInfo; stdout: string; stderr: string; handle: ContainerHandle }> {
  const handle = await runtime.run({ stdio: 'pipe', ...req });
  const [exit, stdout, stderr] = await Promise.all([handle.wait(), collect(handle.stdout), collect(handle.stderr)]);
  return { exit, stdout, stderr, handle };
}

/** A CLI context whose stdout/stderr are captured into strings. */
export function makeCapturingContext(root: string): CliContext & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  return {
    root,
    layout: rootLayout(root),
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
    isTty: false,
    out: () => out,
    err: () => err,
  };
}

/** Mount points under `dir` in this mount namespace. */
export function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((target) => target === dir || target.startsWith(`${dir}/`));
}

/**
 * cgroup dirs named `parent` at the top of any mounted hierarchy: /sys/fs/cgroup/<parent> on
 * cgroup2, /sys/fs/cgroup/<hierarchy>/<parent> on v1 (and hybrid's unified/), each dir once.
 */
export function cgroupDirsOf(parent: string): string[] {
  const candidates = [
    path.join('/sys/fs/cgroup', parent),
    ...readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h, parent)),
  ];
  const byRealPath = new Map<string, string>();
  for (const dir of candidates) {
    // A v1 hierarchy may be reached through a symlink too (cpu -> cpu,cpuacct).
    if (existsSync(dir) && !byRealPath.has(realpathSync(dir))) byRealPath.set(realpathSync(dir), dir);
  }
  return [...byRealPath.values()];
}

/** Pids whose /proc/<pid>/cgroup names `parent` (processes left in our cgroups). */
export function processesIn(parent: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cgroup`, 'utf8').includes(`/${parent}/`)) pids.push(Number(name));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

/**
 * What a test file leaves behind: mounts under the root, cgroup dirs of its parent, processes in
 * them, and the root itself. Removes the empty cgroup parent and the root, then reports.
 */
export async function removeTestRoot(t: TestRoot): Promise<{ mounts: string[]; cgroups: string[]; pids: number[] }> {
  const leaks = {
    mounts: mountsBelow(t.root),
    pids: processesIn(t.cgroupParent),
    cgroups: cgroupDirsOf(t.cgroupParent).flatMap((dir) =>
      readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => path.join(dir, e.name)),
    ),
  };
  for (const dir of cgroupDirsOf(t.cgroupParent)) await fs.rmdir(dir).catch(() => undefined);
  if (leaks.mounts.length === 0) await fs.rm(t.root, { recursive: true, force: true });
  return leaks;
}

/**
 * Registers the usual beforeAll/afterAll of a runtime test file: a test root with a busybox image
 * and an open Runtime, then every container removed, the runtime closed and nothing leaked.
 */
export function useRuntimeRoot(label: string, set: (t: TestRoot, runtime: Runtime) => void): void {
  let t: TestRoot | undefined;
  let runtime: Runtime | undefined;
  beforeAll(async () => {
    t = await makeTestRoot(label);
    await makeBusyboxImage(t.root, 'busybox:latest');
    const { Runtime: RuntimeClass } = await import('../../src/container/index.js');
    runtime = await RuntimeClass.open(t.root);
    set(t, runtime);
  });
  afterAll(async () => {
    if (runtime) {
      for (const c of await runtime.list({ all: true })) await runtime.remove(c.id, { force: true });
      await runtime.close();
    }
    if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
  });
}

/** The exit of `child`, whether it already happened or not. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Polls `check` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
