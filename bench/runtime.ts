// bench:runtime — startup of /bin/true from the busybox image, side by side in one run, with the
// suite's definitions (src/suite/measures/startup.ts): `startup.exit` from the start of the launch
// to the moment the host learns the exit status, and `teardown` from then to everything released.
// Contenders: the kernel floor (unshare of the same namespaces running the same binary, spawn to
// exit), isobench's container target from a warm process, isobench's CLI (whole process), and the
// runc and crun targets (bundle and overlay mount inside the clock, as isobench's own; their
// runtime alone is the phase from the mount to the exit). Plus the host memory of an idle detached
// container's monitor, the debian recipe's build time and layer unpack throughput next to
// `tar -xzf`; and what the default seccomp filter costs: the container target with seccomp
// unconfined as a contender of its own, and ns per getppid(2) inside a container either way.
// Records figures; asserts nothing. Usage:
//   npm run bench:runtime -- [--runs 30] [--warmup 3] [--skip-debian] [--json]
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { runEphemeral } from '../src/container/index.js';
import { Runtime } from '../src/container/runtime.js';
import { extractLayer } from '../src/image/layer-tar.js';
import { buildImage } from '../src/image/recipe/build.js';
import { ImageStore } from '../src/image/store.js';
import { readProcessMemory } from '../src/measure/process-memory.js';
import { packageDir, probeBinary, rootLayout } from '../src/paths.js';
import { median } from '../src/stats/index.js';
import { measureStartup } from '../src/suite/measures/startup.js';
import { ContainerTarget } from '../src/targets/container.js';
import { CrunTarget, measureNsenterCostNs } from '../src/targets/crun.js';
import { RuncTarget } from '../src/targets/runc.js';
import type { Target, WorkloadSpec } from '../src/targets/types.js';
import { benchProgram, integerAtLeast, parseBenchOptions, runBench } from './lib/options.js';
import { readLoadavg } from './lib/probe-workload.js';
import { formatCi, ms, ratioCiOf, round, summarizeMs } from './lib/summary-ms.js';

interface Options {
  runs: number;
  warmup: number;
  json: boolean;
  skipDebian: boolean;
}

const SCRIPT = 'bench:runtime';

function parseOptions(argv: string[]): Options {
  const program = benchProgram(
    SCRIPT,
    'Startup of /bin/true side by side: the kernel floor, isobench, runc and crun; monitor memory, builds.',
  )
    .option('--runs <n>', 'timed runs per runtime', integerAtLeast(1), 30)
    .option('--warmup <n>', 'untimed runs first', integerAtLeast(1), 3)
    .option('--skip-debian', 'leave out the Debian image build', false)
    .option('--json', 'print the figures as JSON', false);
  return parseBenchOptions<Options>(program, argv);
}

const now = () => process.hrtime.bigint();

/** Spawns a command and resolves with the ns from spawn to exit; rejects on a non-zero exit. */
function timeProcess(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const t1 = now();
      if (code === 0) resolve(Number(t1 - t0));
      else reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

/** Copies the recipe dir to a temp context with busybox in it (the set-up script does the same). */
async function busyboxContext(tmp: string): Promise<string> {
  const dir = path.join(tmp, 'busybox-context');
  await fs.cp(path.join(packageDir(), 'scenarios', 'images', 'busybox'), dir, { recursive: true });
  await fs.copyFile('/bin/busybox', path.join(dir, 'busybox'));
  return dir;
}

/** A context for a busybox image with the probe in /usr/bin (for the in-container syscall loop). */
async function probeContext(tmp: string): Promise<string> {
  const dir = path.join(tmp, 'probe-context');
  await fs.mkdir(dir);
  await fs.copyFile('/bin/busybox', path.join(dir, 'busybox'));
  await fs.copyFile(probeBinary(), path.join(dir, 'isobench-probe'));
  await fs.writeFile(
    path.join(dir, 'Containerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCOPY isobench-probe /usr/bin/isobench-probe\n',
  );
  return dir;
}

/** Calls of the in-container getppid loop (10^6: ~0.1-4 s per run on the machines we use). */
const SYSCALL_LOOP_CALLS = 1_000_000;

/** ns per getppid(2) inside a container, from the probe's own report; undefined seccomp: the default. */
async function syscallCostNs(runtime: Runtime, seccomp: 'default' | 'unconfined'): Promise<number> {
  const handle = await runtime.run({
    image: 'probe',
    args: ['isobench-probe', `syscalls=${SYSCALL_LOOP_CALLS}`],
    remove: true,
    stdio: 'pipe',
    network: 'none',
    seccomp: { kind: seccomp },
  });
  let out = '';
  handle.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exit = await handle.wait();
  await handle.cleanup();
  const match = / ns_per_call=([\d.]+)/.exec(out);
  if (exit.exitCode !== 0 || !match) throw new Error(`probe syscalls exited ${exit.exitCode}: ${out.trim()}`);
  return Number(match[1]);
}

async function findInLayers(lowerDirs: string[], rel: string): Promise<string> {
  for (const dir of lowerDirs) {
    const candidate = path.join(dir, rel);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${rel} is in no layer of the busybox image`);
}

/** One timed iteration: startup.exit, and for targets the teardown and the phase marks (ns). */
interface Sample {
  exitNs: number;
  teardownNs?: number;
  phasesNs?: Record<string, number>;
}

/** One iteration of a target through the suite's own startup measure. */
async function timeTarget(target: Target, workload: WorkloadSpec): Promise<Sample> {
  const outcome = await measureStartup({
    target,
    workload,
    timeoutMs: 60_000,
    signal: new AbortController().signal,
  });
  return {
    exitNs: outcome.values['startup.exit']!,
    teardownNs: outcome.values.teardown!,
    phasesNs: outcome.phasesNs ?? {},
  };
}

function ratio(a: number[], b: number[]) {
  return { ratio: round(median(a) / median(b), 3), ci: ratioCiOf(a, b, 3) };
}

async function monitorMemory(runtime: Runtime, count: number) {
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const handle = await runtime.run({ image: 'busybox', args: ['sleep', '3600'], detach: true, network: 'none' });
      ids.push(handle.id);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const samples: NonNullable<Awaited<ReturnType<typeof readProcessMemory>>>[] = [];
    for (const id of ids) {
      const record = await runtime.get(id);
      const memory = record.monitorPid ? await readProcessMemory(record.monitorPid) : undefined;
      if (memory) samples.push(memory);
    }
    const mean = (pick: (m: (typeof samples)[number]) => number) =>
      round(samples.reduce((sum, m) => sum + pick(m), 0) / Math.max(1, samples.length) / 1024, 0);
    return {
      containers: samples.length,
      pssKiB: mean((m) => m.pssBytes),
      ussKiB: mean((m) => m.ussBytes),
      rssKiB: mean((m) => m.rssBytes),
    };
  } finally {
    for (const id of ids) await runtime.remove(id, { force: true }).catch(() => undefined);
  }
}

async function debianBuild(layoutRoot: string) {
  const dir = path.join(packageDir(), 'scenarios', 'images', 'debian');
  const result: Record<string, number> = {};
  if (!existsSync(path.join(dir, 'rootfs.tar.gz'))) {
    result.debootstrapS = round(ms(await timeProcess('bash', [path.join(dir, 'make-rootfs.sh')])) / 1000, 1);
  }
  const layout = rootLayout(layoutRoot);
  let t0 = now();
  await buildImage(layout, { contextDir: dir, tag: 'debian', noCache: true, log: () => {}, runStep: runEphemeral });
  result.coldBuildS = round(ms(now() - t0) / 1000, 2);
  t0 = now();
  await buildImage(layout, { contextDir: dir, tag: 'debian', log: () => {}, runStep: runEphemeral });
  result.cachedBuildS = round(ms(now() - t0) / 1000, 2);
  return result;
}

async function countGunzipBytes(file: string): Promise<number> {
  let bytes = 0;
  for await (const chunk of createReadStream(file).pipe(createGunzip())) bytes += (chunk as Buffer).length;
  return bytes;
}

async function unpackThroughput(root: string, tmp: string, ref: string, rounds = 3) {
  const store = await ImageStore.open(root);
  const image = await store.resolve(ref);
  const layer = [...image.layers].sort((a, b) => b.sizeBytes - a.sizeBytes)[0]!;
  const blob = store.blobPath(layer.digest);
  const tarBytes = await countGunzipBytes(blob);
  const times = { isobench: [] as number[], tar: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    for (const who of i % 2 === 0 ? (['isobench', 'tar'] as const) : (['tar', 'isobench'] as const)) {
      const dest = path.join(tmp, `unpack-${who}-${i}`);
      await fs.mkdir(dest);
      const t0 = now();
      if (who === 'tar') await timeProcess('tar', ['-xzf', blob, '-C', dest]);
      else await extractLayer(createReadStream(blob).pipe(createGunzip()), dest);
      times[who].push(Number(now() - t0));
      await fs.rm(dest, { recursive: true, force: true });
    }
  }
  const mbps = (ns: number[]) =>
    round(tarBytes / 1e6 / (ms([...ns].sort((a, b) => a - b)[Math.floor(ns.length / 2)]!) / 1000), 1);
  return {
    image: ref,
    layerMiB: round(tarBytes / 1048576, 1),
    rounds,
    isobenchMBps: mbps(times.isobench),
    tarMBps: mbps(times.tar),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-bench-'));
  const root = path.join(tmp, 'root');
  const layout = rootLayout(root);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const targets: Target[] = [];
  let runtime: Runtime | undefined;
  try {
    log('bench: building the busybox image');
    await buildImage(layout, {
      contextDir: await busyboxContext(tmp),
      tag: 'busybox',
      log: () => {},
      runStep: runEphemeral,
    });
    const store = await ImageStore.open(root);
    const busybox = await findInLayers(await store.lowerDirs(await store.resolve('busybox')), 'bin/busybox');
    runtime = await Runtime.open(root);
    const rt = runtime;
    const workload: WorkloadSpec = {
      image: 'busybox',
      args: ['/bin/true'],
      env: {},
      limits: {},
      vm: { memoryBytes: 256 << 20, cpus: 1, machine: 'microvm' },
    };
    const process_ = async (file: string, args: string[]): Promise<Sample> => ({
      exitNs: await timeProcess(file, args),
    });
    const container = new ContainerTarget({ root });
    // The same target without the seccomp filter: the difference is the filter's cost at start.
    const unconfined = new ContainerTarget({ root, seccomp: { kind: 'unconfined' } });
    targets.push(container, unconfined);
    await container.prepare(workload);
    await unconfined.prepare(workload);
    const contenders: Record<string, () => Promise<Sample>> = {
      floor: () => process_('unshare', ['--pid', '--mount', '--net', '--uts', '--ipc', '--fork', busybox, 'true']),
      isobench: () => timeTarget(container, workload),
      isobench_unconfined: () => timeTarget(unconfined, workload),
      cli: () =>
        process_(path.join(packageDir(), 'bin', 'isobench'), ['--root', root, 'run', '--rm', 'busybox', '/bin/true']),
    };
    const skipped: Record<string, string> = {};
    for (const target of [new RuncTarget({ root }), new CrunTarget({ root })]) {
      const availability = await target.probe();
      if (!availability.available) {
        skipped[target.kind] = availability.reason;
        continue;
      }
      targets.push(target);
      await target.prepare(workload);
      contenders[target.kind] = () => timeTarget(target, workload);
    }
    const names = Object.keys(contenders);
    const collected: Record<string, Sample[]> = Object.fromEntries(names.map((n) => [n, []]));
    log(`bench: ${options.warmup} warm-up + ${options.runs} rounds of ${names.join(', ')} (order rotates each round)`);
    for (let round = 0; round < options.warmup + options.runs; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length]!;
        const sample = await contenders[name]!();
        if (round >= options.warmup) collected[name]!.push(sample);
      }
    }
    const samples = Object.fromEntries(names.map((n) => [n, collected[n]!.map((x) => x.exitNs)]));
    const startup = Object.fromEntries(names.map((n) => [n, summarizeMs(samples[n]!)]));
    const teardown = Object.fromEntries(
      names
        .filter((n) => collected[n]!.every((x) => x.teardownNs !== undefined))
        .map((n) => [n, summarizeMs(collected[n]!.map((x) => x.teardownNs!))]),
    );
    // The peers' phases: their overlay mount (bundleNs -> overlayNs) and the runtime alone
    // (overlayNs -> exitNs: spawn of `runc run` to its exit; /bin/true prints no ready line).
    const peerPhases: Record<
      string,
      { overlayMount: ReturnType<typeof summarizeMs>; runtimeAlone: ReturnType<typeof summarizeMs> }
    > = {};
    for (const peer of ['runc', 'crun']) {
      const runs = collected[peer];
      if (!runs) continue;
      const span = (from: string, to: string) => runs.map((x) => x.phasesNs![to]! - x.phasesNs![from]!);
      peerPhases[peer] = {
        overlayMount: summarizeMs(span('bundleNs', 'overlayNs')),
        runtimeAlone: summarizeMs(span('overlayNs', 'exitNs')),
      };
    }
    const ratios: Record<string, unknown> = {
      isobenchOverFloor: ratio(samples.isobench!, samples.floor!),
      seccompOverUnconfined: ratio(samples.isobench!, samples.isobench_unconfined!),
    };
    // crun's figure includes an nsenter exec into its namespace holder on hybrid hosts: state its cost.
    const holder = targets.find((p): p is CrunTarget => p instanceof CrunTarget)?.namespaceHolder();
    const crunNsenterCostMs = holder ? round(ms(await measureNsenterCostNs(holder))) : undefined;
    for (const peer of ['runc', 'crun'])
      if (samples[peer]) ratios[`isobenchOver_${peer}`] = ratio(samples.isobench!, samples[peer]!);
    log(
      `bench: ${SYSCALL_LOOP_CALLS} getppid calls in a container, default filter and unconfined, ${options.runs} rounds`,
    );
    await buildImage(layout, {
      contextDir: await probeContext(tmp),
      tag: 'probe',
      log: () => {},
      runStep: runEphemeral,
    });
    const perCall: Record<'default' | 'unconfined', number[]> = { default: [], unconfined: [] };
    for (let round = 0; round < options.runs; round++) {
      // Alternating, so that load on the machine falls on both alike.
      for (const kind of round % 2 ? (['unconfined', 'default'] as const) : (['default', 'unconfined'] as const)) {
        perCall[kind].push(await syscallCostNs(rt, kind));
      }
    }
    const syscallCost = {
      calls: SYSCALL_LOOP_CALLS,
      rounds: options.runs,
      medianNsPerCallDefault: round(median(perCall.default)),
      medianNsPerCallUnconfined: round(median(perCall.unconfined)),
      minNsPerCallDefault: round(Math.min(...perCall.default)),
      minNsPerCallUnconfined: round(Math.min(...perCall.unconfined)),
    };
    log('bench: monitor memory of 5 idle detached containers');
    const monitor = await monitorMemory(rt, 5);
    let debian: Record<string, number> | { skipped: string } = { skipped: '--skip-debian' };
    if (!options.skipDebian) {
      log('bench: debian recipe build (debootstrap if rootfs.tar.gz is missing)');
      debian = await debianBuild(root);
    }
    log('bench: layer unpack throughput');
    const unpack = await unpackThroughput(root, tmp, options.skipDebian ? 'busybox' : 'debian');
    const load = await readLoadavg();
    const result = {
      host: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, kernel: os.release(), loadavg: load },
      runs: options.runs,
      ...startup,
      teardown,
      peerPhases,
      ratios,
      skipped,
      crunNsenterCostMs,
      syscallCost,
      monitorMemory: monitor,
      debianBuild: debian,
      layerUnpack: unpack,
    };
    printTable(result, startup, teardown);
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await Promise.allSettled(targets.map((t) => t.cleanup()));
    await runtime?.close();
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

type Summary = ReturnType<typeof summarizeMs>;

function printTable(
  result: Record<string, unknown>,
  startup: Record<string, Summary>,
  teardown: Record<string, Summary>,
): void {
  const lines = [
    '| contender | n | startup.exit median ms | p95 ms | min ms | max ms | 95% CI of median | teardown median ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, s] of Object.entries(startup)) {
    const t = teardown[name];
    lines.push(
      `| ${name} | ${s.n} | ${s.medianMs} | ${s.p95Ms} | ${s.minMs} | ${s.maxMs} | ${formatCi(s.ciMs)} | ${t ? t.medianMs : '—'} |`,
    );
  }
  process.stdout.write(
    `${lines.join('\n')}\n\n${JSON.stringify({ peerPhases: result.peerPhases, ratios: result.ratios, crunNsenterCostMs: result.crunNsenterCostMs, syscallCost: result.syscallCost, monitorMemory: result.monitorMemory, debianBuild: result.debianBuild, layerUnpack: result.layerUnpack, host: result.host }, null, 2)}\n`,
  );
}

runBench(SCRIPT, main);
