// Profiles the container launch path against the kernel floor, side by side in one warm process:
// `unshare --pid --mount --net --uts --ipc --fork busybox true`, launchContainer() alone (to the
// helper's exit report), and Runtime.run() -> wait() (what the harness times), interleaved,
// with medians and ratios; the untimed teardown wait() -> cleanup() resolved of each run->wait;
// plus per-phase stamps from inside the helper (ISOBENCH_HELPER_TRACE=1). Not a test: it records figures.
// Usage (root): npm run bench:profile-launch -- [--n 30] [--trace 30] [--strace FILE] [--baseline DIR]...
//   [--no-baseline-launch]; each --baseline DIR also times DIR/bundle.mjs (exports Runtime and
//   launchContainer, e.g. an esbuild bundle of an older tree) with DIR/isobench-helper.
import { spawn } from 'node:child_process';
import { promises as fs, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { launchContainer } from '../src/container/launch/helper-process.js';
import { serializeHelperConfig } from '../src/container/launch/helper-protocol.js';
import { Runtime } from '../src/container/runtime.js';
import type { ContainerSpec, LaunchOptions } from '../src/container/types.js';
import { helperBinary } from '../src/paths.js';
import { commitBusyboxImage } from '../test/fixtures/busybox-image.js';
import { ensureHelperBuilt } from '../test/fixtures/rootfs.js';
import { absolutePath, benchProgram, integerAtLeast, parseBenchOptions, runBench } from './lib/options.js';

type RuntimeModule = { Runtime: typeof Runtime; launchContainer: typeof launchContainer };

/** One timed iteration: start-to-exit, and for run->wait the untimed teardown after it. */
type Sample = { ms: number; teardownMs?: number };

const IMAGE = 'profile-busybox:latest';
const ARGS = ['/bin/true'];

const SCRIPT = 'bench:profile-launch';

interface Options {
  n: number;
  trace: number;
  strace?: string;
  /** Each DIR holds bundle.mjs (exports Runtime, launchContainer) and isobench-helper. */
  baseline: string[];
  baselineLaunch: boolean;
}

function parseOptions(argv: string[]): Options {
  const program = benchProgram(SCRIPT, 'Profiles the container launch path against the kernel floor (root).')
    .option('--n <n>', 'timed launches per contender', integerAtLeast(1), 30)
    .option('--trace <n>', 'launches with the helper phase trace (0: none)', integerAtLeast(0), 30)
    .option('--strace <file>', 'write one strace -f of a launch to FILE', absolutePath)
    .option(
      '--baseline <dir>',
      'also time DIR/bundle.mjs with DIR/isobench-helper (repeatable)',
      (dir: string, dirs: string[]) => [...dirs, absolutePath(dir)],
      [],
    )
    .option('--no-baseline-launch', "time only each baseline's run -> wait, not its launchContainer()");
  return parseBenchOptions<Options>(program, argv);
}

const nowNs = (): bigint => process.hrtime.bigint();
const ms = (ns: bigint | number): number => Number(ns) / 1e6;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function drain(stream: NodeJS.ReadableStream | null | undefined): void {
  (stream as Readable | null | undefined)?.resume();
}

/** The kernel floor: the same namespaces, the same busybox binary, no rootfs work at all. */
async function timeFloor(busybox: string): Promise<Sample> {
  const t0 = nowNs();
  const child = spawn('unshare', ['--pid', '--mount', '--net', '--uts', '--ipc', '--fork', busybox, 'true'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  drain(child.stdout);
  drain(child.stderr);
  await new Promise((resolve) => child.on('close', resolve));
  return { ms: ms(nowNs() - t0) };
}

/** Untimed set-up of one launchContainer() call: dirs and cgroup, as runContainer makes them. */
async function prepareLaunch(runtime: Runtime, dir: string) {
  const id = Math.random().toString(16).slice(2).padEnd(12, '0') + Date.now().toString(16);
  const cdir = path.join(dir, id);
  for (const sub of ['upper', 'work', 'rootfs']) mkdirSync(path.join(cdir, sub), { recursive: true });
  const cgroup = await runtime.context.cgroups.create(id, {});
  const image = await runtime.context.store.resolve(IMAGE);
  const spec: ContainerSpec = {
    id,
    lowerDirs: await runtime.context.store.lowerDirs(image),
    upperDir: path.join(cdir, 'upper'),
    workDir: path.join(cdir, 'work'),
    rootfsDir: path.join(cdir, 'rootfs'),
    args: ARGS,
    env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
    cwd: '/',
    uid: 0,
    gid: 0,
    additionalGids: [],
    hostname: id.slice(0, 12),
    network: 'none',
    limits: {},
  };
  const options: LaunchOptions = { mode: { kind: 'attached', stdio: 'pipe' }, cgroupProcsFiles: cgroup.procsFiles };
  const dispose = async () => {
    await cgroup.destroy();
    await fs.rm(cdir, { recursive: true, force: true });
  };
  return { spec, options, dispose };
}

async function timeLaunch(mod: RuntimeModule, runtime: Runtime, dir: string): Promise<Sample> {
  const { spec, options, dispose } = await prepareLaunch(runtime, dir);
  const t0 = nowNs();
  const launched = await mod.launchContainer(spec, options);
  drain(launched.stdout);
  drain(launched.stderr);
  const exit = await launched.exited!;
  const t = ms(nowNs() - t0);
  await launched.released;
  await dispose();
  if (exit.exitCode !== 0) throw new Error(`launch: exit ${exit.exitCode}`);
  return { ms: t };
}

async function timeRun(runtime: Runtime): Promise<Sample> {
  const t0 = nowNs();
  const handle = await runtime.run({ image: IMAGE, args: ARGS, network: 'none', stdio: 'pipe' });
  drain(handle.stdout);
  drain(handle.stderr);
  const exit = await handle.wait();
  const t1 = nowNs();
  // Untimed by the harness: the helper's unmount (and its sync), cgroup and dir removal.
  await handle.cleanup();
  const teardownMs = ms(nowNs() - t1);
  if (exit.exitCode !== 0) throw new Error(`run: exit ${exit.exitCode}`);
  return { ms: ms(t1 - t0), teardownMs };
}

/** Spawns `binary run attached:none` (through `wrapper` if given) with the config on fd 4, status on fd 3. */
function spawnHelper(binary: string, config: Buffer, wrapper: string[] = [], env = process.env) {
  const argv = [...wrapper, binary, 'run', 'attached:none'];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], env });
  drain(child.stdout);
  drain(child.stderr);
  (child.stdio[4] as NodeJS.WritableStream).end(config);
  return child;
}

/** One helper run under `strace -f -tt -T -o outFile` (strace is its parent: no parent_pid check). */
async function straceOnce(runtime: Runtime, dir: string, binary: string, outFile: string): Promise<void> {
  const { spec, options, dispose } = await prepareLaunch(runtime, dir);
  const child = spawnHelper(binary, serializeHelperConfig(spec, options), ['strace', '-f', '-tt', '-T', '-o', outFile]);
  (child.stdio[3] as Readable).resume();
  await new Promise((resolve) => child.on('close', resolve));
  await dispose();
}

/** One helper run with ISOBENCH_HELPER_TRACE=1: stamps (ms after spawn) per label, in order. */
async function traceOnce(runtime: Runtime, dir: string, binary: string): Promise<Array<[string, number]>> {
  const { spec, options, dispose } = await prepareLaunch(runtime, dir);
  const t0 = nowNs();
  const child = spawnHelper(binary, serializeHelperConfig(spec, options, { parentPid: process.pid }), [], {
    ...process.env,
    ISOBENCH_HELPER_TRACE: '1',
  });
  const stamps: Array<[string, number]> = [];
  let text = '';
  (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  await new Promise((resolve) => child.on('close', resolve));
  const end = nowNs();
  for (const line of text.split('\n')) {
    const [word, label, at] = line.split(' ');
    if (word === 'trace' && label && at) stamps.push([label, ms(BigInt(at) - t0)]);
  }
  stamps.push(['node_close', ms(end - t0)]);
  await dispose();
  return stamps;
}

function printSummary(title: string, samples: Record<string, number[]>, floor: number[]): void {
  console.log(`\n${title}`);
  console.log('variant              median    p25     p75   ratio-to-floor (median of per-iteration ratios)');
  const floorMedian = median(floor);
  for (const [name, values] of Object.entries(samples)) {
    const perIter = values.map((v, i) => v / floor[i]!);
    console.log(
      `${name.padEnd(18)} ${median(values).toFixed(2).padStart(7)} ${quantile(values, 0.25).toFixed(2).padStart(7)} ${quantile(values, 0.75).toFixed(2).padStart(7)}   ${(median(values) / floorMedian).toFixed(2)}x (${median(perIter).toFixed(2)}x)`,
    );
  }
}

async function main(): Promise<void> {
  const {
    n,
    trace: traceN,
    strace: straceFile,
    baseline: baselineDirs,
    baselineLaunch: withLaunch,
  } = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('profile-launch needs root (namespaces, mounts, cgroups)');
  ensureHelperBuilt();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-profile-'));
  const cgroupParent = `isobench-profile-${process.pid}`;
  const scratch = path.join(root, 'launch');
  const runtimes: Runtime[] = [];
  try {
    const image = await commitBusyboxImage(root, IMAGE, {
      Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['sh'],
      WorkingDir: '/',
      User: '',
    });
    const runtime = await Runtime.open(root, { cgroupParent });
    runtimes.push(runtime);
    const busybox = path.join((await runtime.context.store.lowerDirs(image))[0]!, 'bin', 'busybox');
    const current: RuntimeModule = { Runtime, launchContainer };
    const variants: Array<[string, () => Promise<Sample>]> = [
      ['floor', () => timeFloor(busybox)],
      ['launch', () => timeLaunch(current, runtime, scratch)],
      ['run->wait', () => timeRun(runtime)],
    ];
    for (const dir of baselineDirs) {
      const label = path.basename(dir);
      const mod = (await import(path.resolve(dir, 'bundle.mjs'))) as RuntimeModule;
      const baseRuntime = await mod.Runtime.open(root, { cgroupParent });
      runtimes.push(baseRuntime);
      const withHelper = async <T>(fn: () => Promise<T>): Promise<T> => {
        const saved = process.env.ISOBENCH_HELPER;
        process.env.ISOBENCH_HELPER = path.resolve(dir, 'isobench-helper');
        try {
          return await fn();
        } finally {
          if (saved === undefined) delete process.env.ISOBENCH_HELPER;
          else process.env.ISOBENCH_HELPER = saved;
        }
      };
      if (withLaunch) variants.push([`${label} launch`, () => withHelper(() => timeLaunch(mod, runtime, scratch))]);
      variants.push([`${label} run->wait`, () => withHelper(() => timeRun(baseRuntime))]);
    }
    // Warm-up: JIT, page cache, dentries.
    for (let i = 0; i < 5; i++) for (const [, fn] of variants) await fn();

    const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
    const samples: Record<string, number[]> = Object.fromEntries(variants.map(([name]) => [name, []]));
    const teardowns: Record<string, number[]> = {};
    for (let i = 0; i < n; i++) {
      // Rotate the order so no variant always runs right after another.
      for (let j = 0; j < variants.length; j++) {
        const [name, fn] = variants[(i + j) % variants.length]!;
        const sample = await fn();
        samples[name]!.push(sample.ms);
        if (sample.teardownMs !== undefined) teardowns[name] = [...(teardowns[name] ?? []), sample.teardownMs];
      }
    }
    const loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();
    const { floor, ...rest } = samples;
    if (n > 0)
      printSummary(`start-to-exit of ${ARGS.join(' ')}, ms, n=${n} interleaved`, { floor: floor!, ...rest }, floor!);
    if (n > 0) console.log(`loadavg before: ${loadBefore}; after: ${loadAfter}`);
    if (n > 0) {
      console.log('\nteardown wait() -> cleanup() resolved (untimed by the harness), ms');
      for (const [name, values] of Object.entries(teardowns)) {
        console.log(
          `${name.padEnd(18)} ${median(values).toFixed(2).padStart(7)} ${quantile(values, 0.25).toFixed(2).padStart(7)} ${quantile(values, 0.75).toFixed(2).padStart(7)}`,
        );
      }
    }

    if (straceFile) await straceOnce(runtime, scratch, helperBinary(), straceFile);
    if (traceN > 0) {
      const byLabel = new Map<string, number[]>();
      const order: string[] = [];
      for (let i = 0; i < traceN; i++) {
        const stamps = await traceOnce(runtime, scratch, helperBinary());
        let prev = 0;
        for (const [label, at] of stamps) {
          if (!byLabel.has(label)) {
            byLabel.set(label, []);
            order.push(label);
          }
          byLabel.get(label)!.push(at - prev);
          prev = at;
        }
      }
      console.log(`\nhelper phases (ISOBENCH_HELPER_TRACE=1), ms since the previous stamp, median of ${traceN}:`);
      for (const label of order) console.log(`  ${label.padEnd(16)} ${median(byLabel.get(label)!).toFixed(3)}`);
    }
  } finally {
    for (const r of runtimes) await r.close();
    await fs.rm(root, { recursive: true, force: true });
    for (const h of await fs.readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
      await fs.rmdir(path.join('/sys/fs/cgroup', h, cgroupParent)).catch(() => undefined);
    }
  }
}

runBench(SCRIPT, main);
