// bench:harness — what isobench's own measuring costs and how far its clock can be trusted:
// (1) the memory sampler's CPU at a 50 ms interval on an idle container of the probe image, net of
// an idle baseline of the same length right before (3 pairs, median); (2) runc start-to-exit as the harness times it
// (PeerInstance: stamp before spawn, stamp at exit) next to hyperfine's whole-process timer on the
// same bundle and command, in alternating blocks. Records figures; asserts nothing. Usage:
//   npm run bench:harness -- [--sampler-seconds 10] [--sampler-pairs 3] [--runs 30] [--block 5] [--warmup 3]
//                            [--skip-sampler] [--skip-runc] [--json]
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Bench } from 'tinybench';
import { monotonicNs } from '../src/measure/clock.js';
import { measureSelfCpu, startSampler } from '../src/measure/sampler.js';
import { rootLayout } from '../src/paths.js';
import { median } from '../src/stats/index.js';
import { ContainerTarget } from '../src/targets/container.js';
import { ensureImage } from '../src/targets/image-prep.js';
import { runTool } from '../src/targets/peer-exec.js';
import { PeerInstance } from '../src/targets/peer-process.js';
import type { PeerBundlePaths } from '../src/targets/peer-rootfs.js';
import type { Instance, WorkloadSpec } from '../src/targets/types.js';
import { type Cleanups, logLine, openBenchRun } from './lib/cleanups.js';
import { HYPERFINE_MISSING, timeHyperfineBlock } from './lib/hyperfine.js';
import { benchProgram, benchUsageError, integerAtLeast, parseBenchOptions, runBench } from './lib/options.js';
import { probeWorkload, readLoadavg } from './lib/probe-workload.js';
import { prepareRuncBundle } from './lib/runc-bundle.js';
import { formatCi, ratioCiOf, round, summarizeMs } from './lib/summary-ms.js';

/** The goals: sampler at most 1 % of a core; harness startup within 5 % of an external timer. */
const SAMPLER_GOAL_CORE_FRACTION = 0.01;
const AGREEMENT_GOAL = 0.05;
const SAMPLER_INTERVAL_MS = 50;
/** Back-to-back sampleMemory() calls timed for the direct per-call CPU figure. */
const DIRECT_CALLS = 200;

interface Options {
  samplerSeconds: number;
  samplerPairs: number;
  runs: number;
  block: number;
  warmup: number;
  skipSampler: boolean;
  skipRunc: boolean;
  json: boolean;
}

const SCRIPT = 'bench:harness';

function parseOptions(argv: string[]): Options {
  const program = benchProgram(SCRIPT, "What isobench's own measuring costs and how far its clock can be trusted.")
    .option('--sampler-seconds <n>', 'length of each sampler window, s', integerAtLeast(1), 10)
    .option('--sampler-pairs <n>', 'idle/sampled window pairs', integerAtLeast(1), 3)
    .option('--runs <n>', 'runc runs per timer (a multiple of --block)', integerAtLeast(1), 30)
    .option('--block <n>', 'runs in a row per timer before alternating', integerAtLeast(1), 5)
    .option('--warmup <n>', 'untimed runs first', integerAtLeast(0), 3)
    .option('--skip-sampler', 'leave out the sampler CPU part', false)
    .option('--skip-runc', 'leave out the runc timer part', false)
    .option('--json', 'print the figures as JSON', false);
  const options = parseBenchOptions<Options>(program, argv);
  if (options.runs % options.block !== 0)
    throw benchUsageError(SCRIPT, `expected --runs (${options.runs}) to be a multiple of --block (${options.block})`);
  return options;
}

const log = logLine('bench');

// ---- (1) sampler CPU -------------------------------------------------------------------------

/** CPU of this process over `seconds` with `reader` sampled every 50 ms (none: the idle baseline). */
async function measureWindow(seconds: number, reader?: () => unknown) {
  return measureSelfCpu(async () => {
    if (reader === undefined) {
      await sleep(seconds * 1000);
      return { samples: 0, gaps: 0 };
    }
    const sampler = startSampler(reader, { intervalMs: SAMPLER_INTERVAL_MS });
    await sleep(seconds * 1000);
    const samples = await sampler.stop();
    return { samples: samples.length, gaps: sampler.gaps.length };
  });
}

const cpuNsOf = (usage: { userCpuNs: number; systemCpuNs: number }) => usage.userCpuNs + usage.systemCpuNs;

async function measureSamplerCost(target: ContainerTarget, cleanups: Cleanups, seconds: number, pairs: number) {
  const instance: Instance = await target.launch(probeWorkload(['ready', 'idle'], 'ISOBENCH-READY'));
  const forget = cleanups.add('the idle container', () => instance.dispose());
  try {
    await instance.ready;
    await sleep(500); // let the launch's own callbacks and stream reads settle
    const first = await instance.sampleMemory();
    const loadavg = await readLoadavg();
    const rounds: Array<{
      idleCorePercent: number;
      samplingCorePercent: number;
      costCorePercent: number;
      samples: number;
      gaps: number;
      perSampleCpuUs: number;
    }> = [];
    for (let pair = 0; pair < pairs; pair++) {
      log(`sampler: pair ${pair + 1}/${pairs}: ${seconds} s idle baseline, then ${seconds} s sampling`);
      const idle = await measureWindow(seconds);
      const sampling = await measureWindow(seconds, () => instance.sampleMemory());
      const netCpuNs = cpuNsOf(sampling) - idle.coreFraction * sampling.wallNs;
      const { samples, gaps } = sampling.value;
      rounds.push({
        idleCorePercent: round(idle.coreFraction * 100, 3),
        samplingCorePercent: round(sampling.coreFraction * 100, 3),
        costCorePercent: round((sampling.coreFraction - idle.coreFraction) * 100, 3),
        samples,
        gaps,
        perSampleCpuUs: round(netCpuNs / samples / 1000, 1),
      });
    }
    // The loop alone (timer wake-ups + sampler bookkeeping), next to an idle window of its own.
    log(`sampler: ${seconds} s idle, then ${seconds} s of a no-op sampler (the floor)`);
    const floorIdle = await measureWindow(seconds);
    const floor = await measureWindow(seconds, () => 0);
    const direct = await measureSelfCpu(async () => {
      for (let i = 0; i < DIRECT_CALLS; i++) await instance.sampleMemory();
    });
    // tinybench times the call loop itself: latency of one sampleMemory() (wall, warm).
    const latencyBench = new Bench({ time: 1000, warmupTime: 200 });
    latencyBench.add('sampleMemory', async () => {
      await instance.sampleMemory();
    });
    await latencyBench.run();
    const latency = latencyBench.tasks[0]?.result?.latency;
    const cost = median(rounds.map((r) => r.costCorePercent));
    return {
      timed:
        `process.cpuUsage() (user+system) of this node process over ${seconds} s with startSampler(() => instance.sampleMemory(), ` +
        `{ intervalMs: ${SAMPLER_INTERVAL_MS} }) on an idle container (probe image, 'isobench-probe ready idle'), ` +
        `minus the same over ${seconds} s without a sampler right before, as % of one core; ${pairs} such pairs, median reported. ` +
        `floor: the same with a no-op reader; direct: ${DIRECT_CALLS} back-to-back sampleMemory() calls (warm caches)`,
      intervalMs: SAMPLER_INTERVAL_MS,
      windowSeconds: seconds,
      pairs: rounds,
      costCorePercent: cost,
      samples: median(rounds.map((r) => r.samples)),
      perSampleCpuUs: median(rounds.map((r) => r.perSampleCpuUs)),
      floorCorePercent: round((floor.coreFraction - floorIdle.coreFraction) * 100, 3),
      directCalls: DIRECT_CALLS,
      directPerCallCpuUs: round(cpuNsOf(direct) / DIRECT_CALLS / 1000, 1),
      directPerCallWallUs: round(direct.wallNs / DIRECT_CALLS / 1000, 1),
      /** tinybench over 1 s (after 200 ms warm-up): wall latency of one call, µs. */
      callLatencyUs: latency
        ? {
            n: latency.samples.length,
            p50: round((latency.p50 ?? Number.NaN) * 1000, 1),
            p99: round((latency.p99 ?? Number.NaN) * 1000, 1),
          }
        : undefined,
      goalCorePercent: SAMPLER_GOAL_CORE_FRACTION * 100,
      withinGoal: cost <= SAMPLER_GOAL_CORE_FRACTION * 100,
      firstSample: {
        pssBytes: first.pssBytes,
        rssBytes: first.rssBytes,
        cgroupCurrentBytes: first.cgroup?.currentBytes,
      },
      loadavgBefore: loadavg,
    };
  } finally {
    forget();
    await instance.dispose();
  }
}

// ---- (2) runc startup: harness clock vs hyperfine ----------------------------------------------

/** The harness's timing, as OciPeerTarget.launch does it: stamp, spawn, PeerInstance's exit stamp. */
async function timeHarnessRun(workload: WorkloadSpec, id: string, paths: PeerBundlePaths): Promise<number> {
  const launchedAtNs = monotonicNs();
  const child = spawn('runc', ['run', '--bundle', paths.dir, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const instance = new PeerInstance(
    child,
    workload,
    launchedAtNs,
    {
      writableDir: async () => paths.upper,
      measureDir: async () => 0,
      kill: async () => {
        await runTool('runc', ['kill', id, 'KILL']);
      },
      release: async () => undefined, // the bundle is shared: released once at the end
    },
    'runc run',
  );
  try {
    const exit = await instance.exited;
    if (exit.exitCode !== 0) throw new Error(`runc run exited ${exit.exitCode}: ${instance.outputLines().join(' ')}`);
    return Number(exit.atNs - launchedAtNs);
  } finally {
    await instance.dispose();
  }
}

async function measureRuncAgreement(root: string, tmp: string, cleanups: Cleanups, options: Options) {
  const version = (await runTool('runc', ['--version'])).stdout.split('\n')[0]?.trim();
  const hyperfineVersion = (await runTool('hyperfine', ['--version']).catch(() => undefined))?.stdout.trim();
  if (hyperfineVersion === undefined) throw new Error(HYPERFINE_MISSING);
  const workload = probeWorkload(['exit=0']);
  const { id, paths } = await prepareRuncBundle(root, cleanups, workload);
  const command = `runc run --bundle ${paths.dir} ${id}`;
  let current: ChildProcess | undefined;
  cleanups.add('hyperfine', async () => {
    current?.kill('SIGKILL');
  });
  const track = (child: ChildProcess | undefined) => {
    current = child;
  };
  const loadavg = await readLoadavg();
  const harness: number[] = [];
  const hyperfine: number[] = [];
  for (let i = 0; i < options.warmup; i++) await timeHarnessRun(workload, id, paths);
  const blocks = options.runs / options.block;
  log(`runc: ${blocks} blocks of ${options.block} harness runs and ${options.block} hyperfine runs, order alternating`);
  for (let block = 0; block < blocks; block++) {
    const order = block % 2 === 0 ? ['harness', 'hyperfine'] : ['hyperfine', 'harness'];
    for (const who of order) {
      if (who === 'harness') {
        for (let i = 0; i < options.block; i++) harness.push(await timeHarnessRun(workload, id, paths));
      } else {
        const warmup = block === 0 ? options.warmup : 0;
        const jsonFile = path.join(tmp, `hyperfine-${block}.json`);
        hyperfine.push(...(await timeHyperfineBlock(command, options.block, warmup, jsonFile, track)));
      }
    }
  }
  const harnessMedian = median(harness);
  const hyperfineMedian = median(hyperfine);
  const relative = (harnessMedian - hyperfineMedian) / hyperfineMedian;
  return {
    timed:
      `start-to-exit of \`runc run --bundle B <id>\` running 'isobench-probe exit=0' (probe image, overlay mounted once, outside the timing). ` +
      `harness: monotonic stamp right before spawn (stdout/stderr piped) to PeerInstance's exit stamp, as OciPeerTarget.launch; ` +
      `hyperfine: -N (no shell), its own per-run wall time, output to /dev/null. ` +
      `${blocks} blocks of ${options.block} runs each, alternating which goes first; ${options.warmup} warm-up runs each, not counted`,
    runc: version,
    hyperfine: hyperfineVersion,
    harnessMs: summarizeMs(harness),
    hyperfineMs: summarizeMs(hyperfine),
    relativeDifference: round(relative, 4),
    ratioCi: ratioCiOf(harness, hyperfine, 4),
    goal: AGREEMENT_GOAL,
    withinGoal: Math.abs(relative) <= AGREEMENT_GOAL,
    loadavgBefore: loadavg,
  };
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { cleanups, tmp } = await openBenchRun('harness', log);
  const root = path.join(tmp, 'root');
  try {
    const cpus = os.cpus();
    const host: Record<string, unknown> = {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model,
      kernel: os.release(),
      loadavgStart: await readLoadavg(),
    };
    log('building the probe image');
    await ensureImage(rootLayout(root), 'probe', () => undefined);
    const result: Record<string, unknown> = { host };
    if (!options.skipSampler) {
      const target = new ContainerTarget({ root, cgroupParent: `isobench-bench-harness-${process.pid}` });
      cleanups.add('the container target', () => target.cleanup());
      await target.prepare(probeWorkload(['exit=0']));
      result.sampler = await measureSamplerCost(target, cleanups, options.samplerSeconds, options.samplerPairs);
    }
    if (!options.skipRunc) result.runcAgreement = await measureRuncAgreement(root, tmp, cleanups, options);
    host.loadavgEnd = await readLoadavg();
    printTable(result);
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await cleanups.runAll();
  }
}

function printTable(result: Record<string, unknown>): void {
  const host = result.host as Record<string, unknown>;
  const lines = [
    `host: ${host.cpus} cpus (${host.cpuModel}), kernel ${host.kernel}, loadavg ${host.loadavgStart} at start, ${host.loadavgEnd} at end`,
    '',
  ];
  const sampler = result.sampler as Awaited<ReturnType<typeof measureSamplerCost>> | undefined;
  if (sampler) {
    lines.push(
      `| sampler (${sampler.intervalMs} ms, ${sampler.windowSeconds} s windows) | n samples | idle % core | sampling % core | cost % core | µs CPU/sample |`,
      '| --- | --- | --- | --- | --- | --- |',
      ...sampler.pairs.map(
        (r, i) =>
          `| pair ${i + 1} | ${r.samples} | ${r.idleCorePercent} | ${r.samplingCorePercent} | ${r.costCorePercent} | ${r.perSampleCpuUs} |`,
      ),
      `| **median of ${sampler.pairs.length}** | ${sampler.samples} | | | **${sampler.costCorePercent}** | ${sampler.perSampleCpuUs} |`,
      `goal ≤ ${sampler.goalCorePercent} % of a core: ${sampler.withinGoal ? 'met' : 'missed'}; floor (no-op reader) ${sampler.floorCorePercent} % of a core; direct ${sampler.directPerCallCpuUs} µs CPU per sampleMemory() call (n=${sampler.directCalls}, warm)` +
        (sampler.callLatencyUs
          ? `; tinybench: p50 ${sampler.callLatencyUs.p50} µs, p99 ${sampler.callLatencyUs.p99} µs wall per call (n=${sampler.callLatencyUs.n})`
          : ''),
      `timed: ${sampler.timed}; loadavg before ${sampler.loadavgBefore}`,
      '',
    );
  }
  const runc = result.runcAgreement as Awaited<ReturnType<typeof measureRuncAgreement>> | undefined;
  if (runc) {
    lines.push(
      '| runc start-to-exit | n | median ms | p95 ms | min ms | max ms | 95% CI of median |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const [name, s] of [
      ['harness (PeerInstance)', runc.harnessMs],
      ['hyperfine -N', runc.hyperfineMs],
    ] as const) {
      lines.push(`| ${name} | ${s.n} | ${s.medianMs} | ${s.p95Ms} | ${s.minMs} | ${s.maxMs} | ${formatCi(s.ciMs)} |`);
    }
    lines.push(
      `harness vs hyperfine median: ${round(runc.relativeDifference * 100, 2)} % (ratio 95% CI ${formatCi(runc.ratioCi)}); goal within ±${runc.goal * 100} %: ${runc.withinGoal ? 'met' : 'missed'}`,
      `timed: ${runc.timed}; ${runc.runc}, ${runc.hyperfine}; loadavg before ${runc.loadavgBefore}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

runBench(SCRIPT, main);
