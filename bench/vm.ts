// bench:vm — boot-to-ready of a hello workload in a QEMU guest (busybox image), for each kernel
// variant side by side: stock (Debian's kernel + initramfs) and minimal (built from source, root
// straight from the disk), interleaved per round with the order alternating. n runs each, median
// and spread, the phase breakdown, and the host-side overhead over the guest kernel's own uptime at
// ready. In the same rounds, the floor under isobench's own launch path: the exact QEMU command
// isobench builds (prepareBareQemuCommand), spawned bare and timed from outside from spawn to the
// ready marker on the serial console, against the same guest through runVm (call to ready). Then
// a short density sweep: QEMU's PSS summed over N idle booted guests (N = 1, 2, 4), fitted with a
// line whose slope is the host memory per extra guest. Every figure is labelled with accel and
// machine: a TCG figure must never pass for a KVM one. Records figures; asserts nothing. Usage:
//   node dist/bench/vm.js [--runs 10] [--kernels stock,minimal] [--machine microvm|q35]
//                         [--accel auto|kvm|tcg] [--density 1,2,4] [--root DIR] [--json]
// With --json the last line is one JSON object: accel, stock, minimal, snapshot, bareQemu,
// isobenchSameCommand (each {medianMs, n, ciMs} or null), densitySlopeMiB {booted, restored}.
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Option } from 'commander';
import { ImageStore } from '../src/image/store.js';
import { readProcessMemory } from '../src/measure/process-memory.js';
import { type RootLayout, rootLayout } from '../src/paths.js';
import { fitLine, summarize } from '../src/stats/index.js';
import type { VmAccelRequest } from '../src/vm/accel.js';
import { VM_KERNEL_VARIANTS, type VmKernelVariant, type VmMachine } from '../src/vm/definition.js';
import { prepareBareQemuCommand, type RunVmOptions, runVm, type VmRunResult } from '../src/vm/index.js';
import {
  absolutePath,
  benchProgram,
  integerAtLeast,
  integerListOf,
  listOf,
  parseBenchOptions,
  runBench,
} from './lib/options.js';
import { formatCi, ratioCiOf, round, summarizeMs } from './lib/summary-ms.js';

interface Options {
  runs: number;
  kernels: VmKernelVariant[];
  machine: VmMachine;
  accel: VmAccelRequest;
  root?: string;
  json: boolean;
  /** Guest counts of the density sweep; empty skips it. */
  density: number[];
}

const SCRIPT = 'bench:vm';

function parseOptions(argv: string[]): Options {
  const guests = integerListOf(1, 99);
  const program = benchProgram(
    SCRIPT,
    'Boot to ready of a QEMU guest per kernel variant, the bare-QEMU floor, density.',
  )
    .option('--runs <n>', 'boots per kernel', integerAtLeast(1), 10)
    .option('--kernels <list>', 'kernel variants', listOf(Object.keys(VM_KERNEL_VARIANTS) as VmKernelVariant[]), [
      'stock',
      'minimal',
    ])
    .addOption(new Option('--machine <machine>', 'QEMU machine').choices(['microvm', 'q35']).default('microvm'))
    .addOption(new Option('--accel <accel>', 'accelerator').choices(['auto', 'kvm', 'tcg']).default('auto'))
    .option(
      '--density <list>',
      'guest counts of the density sweep (0 skips it)',
      (value: string) => (value === '0' ? [] : guests(value)),
      [1, 2, 4],
    )
    .option('--root <dir>', 'state directory (default: a temporary one)', absolutePath)
    .option('--json', 'print the figures as JSON', false);
  return parseBenchOptions<Options>(program, argv);
}

// The tag names the applets: a store built by an older bench (no sleep) is not reused.
const IMAGE = 'isobench-bench/vm-hello:busybox-echo-sleep';

/** Builds a one-layer busybox image (busybox + sh/echo/sleep) unless the store has it. */
async function ensureHelloImage(root: string): Promise<void> {
  const store = await ImageStore.open(root);
  if (
    await store.resolve(IMAGE).then(
      () => true,
      () => false,
    )
  )
    return;
  const rootfs = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-bench-vm-rootfs-'));
  try {
    for (const dir of ['bin', 'etc', 'tmp']) await fs.mkdir(path.join(rootfs, dir));
    await fs.copyFile('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
    await fs.chmod(path.join(rootfs, 'bin', 'busybox'), 0o755);
    for (const applet of ['sh', 'echo', 'sleep']) await fs.symlink('busybox', path.join(rootfs, 'bin', applet));
    await fs.writeFile(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-cf', '-', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const layer = await store.addLayer(tar.stdout!);
    await store.commitImage({
      config: {
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/bin'], Cmd: ['echo', 'hello'] },
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      },
      layers: [layer],
      ref: IMAGE,
    });
  } finally {
    await fs.rm(rootfs, { recursive: true, force: true });
  }
}

/** Per-run durations in ms, derived from one result. */
interface RunFigures {
  readyMs: number;
  exitMs: number;
  qemuSpawnMs: number;
  /** QEMU set-up and the guest's early boot before its clock runs (host time, not seen by the guest). */
  preGuestClockMs: number;
  kernelMs: number;
  initMs: number;
  workloadMs: number;
  guestUptimeAtReadyMs: number;
  /** (host ready - guest uptime at ready) / guest uptime at ready, in %. */
  hostOverheadPct: number;
}

function figuresOf(result: VmRunResult): RunFigures {
  const p = result.phases;
  const readyMs = p.readyNs / 1e6;
  const guestReady = result.guestUptimeAtReadyMs;
  const guestInit = result.guestUptimeAtInitMs ?? Number.NaN;
  return {
    readyMs,
    exitMs: p.exitNs / 1e6,
    qemuSpawnMs: p.qemuStartNs / 1e6,
    preGuestClockMs: (p.kernelNs ?? Number.NaN) / 1e6 - p.qemuStartNs / 1e6,
    kernelMs: guestInit,
    initMs: guestReady - guestInit,
    workloadMs: (p.exitNs - p.readyNs) / 1e6,
    guestUptimeAtReadyMs: guestReady,
    hostOverheadPct: ((readyMs - guestReady) / guestReady) * 100,
  };
}

type Stat = { median: number; min: number; max: number; p95: number; mad: number };

function statsOf(runs: RunFigures[]): Record<keyof RunFigures, Stat> {
  const keys = Object.keys(runs[0]!) as Array<keyof RunFigures>;
  return Object.fromEntries(
    keys.map((key) => {
      const s = summarize(runs.map((r) => r[key]));
      return [key, { median: s.median, min: s.min, max: s.max, p95: s.p95, mad: s.mad }];
    }),
  ) as Record<keyof RunFigures, Stat>;
}

const ROWS: Array<[string, keyof RunFigures, string]> = [
  ['boot to ready (host, wall)', 'readyMs', 'ms'],
  ['launch to QEMU exit (host)', 'exitMs', 'ms'],
  ['  qemu process spawn', 'qemuSpawnMs', 'ms'],
  ['  QEMU set-up + pre-clock boot', 'preGuestClockMs', 'ms'],
  ['  kernel (guest clock to /init)', 'kernelMs', 'ms'],
  ['  init (/init to ready)', 'initMs', 'ms'],
  ['  workload (ready to QEMU exit)', 'workloadMs', 'ms'],
  ['guest uptime at ready', 'guestUptimeAtReadyMs', 'ms'],
  ['host overhead over guest uptime', 'hostOverheadPct', '%'],
];

function printTable(title: string, stats: Record<keyof RunFigures, Stat>): void {
  process.stdout.write(`${title}\n`);
  process.stdout.write(
    `${'figure'.padEnd(34)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)} ${'MAD'.padStart(8)}\n`,
  );
  for (const [name, key, unit] of ROWS) {
    const s = stats[key];
    const f = (v: number): string => `${v.toFixed(unit === '%' ? 1 : 0)}${unit === '%' ? '%' : ''}`;
    process.stdout.write(
      `${name.padEnd(34)} ${f(s.median).padStart(9)} ${f(s.min).padStart(9)} ${f(s.max).padStart(9)} ${f(s.mad).padStart(8)}\n`,
    );
  }
}

/** Kills `child` after `timeoutMs`; resolves with its exit code once it is gone. */
function waitExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/**
 * One bare launch of isobench's QEMU command: prepared (overlay, nonce) untimed, then timed from
 * spawn to the ready marker on QEMU's stdout (the serial console). Checks the workload's exit marker.
 */
async function bareOnce(layout: RootLayout, launch: RunVmOptions, expectOut: string): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-bench-bare-'));
  try {
    const command = await prepareBareQemuCommand(layout, launch, dir);
    let serial = '';
    let readyNs: number | undefined;
    const t0 = process.hrtime.bigint();
    const child = spawn(command.argv[0]!, command.argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      serial += chunk;
      if (readyNs === undefined && serial.includes(command.readyMarker)) readyNs = Number(process.hrtime.bigint() - t0);
    });
    child.stderr!.resume();
    const code = await waitExit(child, 600_000);
    const afterReady = serial.slice(serial.indexOf(command.readyMarker));
    const body = afterReady.slice(afterReady.indexOf('\n') + 1).replace(/\r/g, '');
    if (readyNs === undefined || code !== 0 || !body.startsWith(`${expectOut}${command.exitMarkerPrefix}0`))
      throw new Error(`bare QEMU: exit ${code}, serial tail ${JSON.stringify(serial.slice(-400))}`);
    return readyNs;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** One launch of the same guest through isobench (runVm), timed from the call to the ready marker. */
async function isobenchOnce(layout: RootLayout, launch: RunVmOptions, expectOut: string): Promise<number> {
  let out = '';
  let readyNs: number | undefined;
  const t0 = process.hrtime.bigint();
  const result = await runVm(layout, {
    ...launch,
    onReady: () => {
      readyNs = Number(process.hrtime.bigint() - t0);
    },
    stdout: (chunk) => (out += chunk),
  });
  if (result.exitCode !== 0 || out !== expectOut || readyNs === undefined)
    throw new Error(`isobench launch: unexpected result ${result.exitCode} ${JSON.stringify(out)}`);
  return readyNs;
}

/**
 * Boots `count` guests at once running `sleep`, waits until all are ready and 1 s more, and sums
 * their QEMU processes' PSS (shared pages split among the QEMUs, so the sum adds up). Stops them.
 */
async function densityPoint(layout: RootLayout, launch: RunVmOptions, count: number): Promise<number> {
  const abort = new AbortController();
  const pids: number[] = [];
  let ready = 0;
  let allReady!: () => void;
  const allReadyPromise = new Promise<void>((resolve) => (allReady = resolve));
  const runs = Array.from({ length: count }, () =>
    runVm(layout, {
      ...launch,
      args: ['sleep', '600'],
      signal: abort.signal,
      onQemuStarted: (pid) => pids.push(pid),
      onReady: () => {
        if (++ready === count) allReady();
      },
    }),
  );
  // A run that fails before ready must not leave the others waiting.
  const failed = Promise.race(runs.map((run) => run.then(() => new Error('a guest exited before the sweep read it'))));
  try {
    const first = await Promise.race([allReadyPromise.then(() => undefined), failed]);
    if (first instanceof Error) throw first;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let pssBytes = 0;
    for (const pid of pids) pssBytes += (await readProcessMemory(pid))?.pssBytes ?? 0;
    return pssBytes;
  } finally {
    abort.abort();
    await Promise.allSettled(runs);
  }
}

type MsSummary = ReturnType<typeof summarizeMs>;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const tmp = options.root ? undefined : await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-bench-vm-'));
  const root = options.root ?? tmp!;
  try {
    const layout = rootLayout(root);
    await ensureHelloImage(root);
    const launchOf = (kernel: VmKernelVariant): RunVmOptions => ({
      image: IMAGE,
      args: ['echo', 'hello'],
      machine: options.machine,
      accel: options.accel,
      definition: VM_KERNEL_VARIANTS[kernel],
      log: (line) => log(`bench:vm: ${kernel}: ${line}`),
    });
    const warm = new Map<VmKernelVariant, VmRunResult>();
    for (const kernel of options.kernels) {
      log(
        `bench:vm: ${kernel}: warm-up run (fetches or builds the kernel, builds initramfs and base disk on first use)`,
      );
      warm.set(kernel, await runVm(layout, launchOf(kernel)));
    }
    const first = warm.get(options.kernels[0]!)!;
    // The bare-vs-isobench pair boots the fastest path measured here, so isobench's share shows most.
    const refKernel: VmKernelVariant = options.kernels.includes('minimal') ? 'minimal' : options.kernels[0]!;
    const refLaunch = { ...launchOf(refKernel), log: undefined };
    const runs = new Map<VmKernelVariant, RunFigures[]>(options.kernels.map((k) => [k, []]));
    const contenders: Array<[string, () => Promise<number>]> = [
      ...options.kernels.map((kernel): [string, () => Promise<number>] => [
        kernel,
        async () => {
          let out = '';
          const result = await runVm(layout, { ...launchOf(kernel), stdout: (chunk) => (out += chunk) });
          if (result.exitCode !== 0 || out !== 'hello\n')
            throw new Error(`${kernel}: unexpected result ${result.exitCode} ${JSON.stringify(out)}`);
          runs.get(kernel)!.push(figuresOf(result));
          return result.phases.readyNs;
        },
      ]),
      ['bareQemu', () => bareOnce(layout, refLaunch, 'hello\n')],
      ['isobenchSameCommand', () => isobenchOnce(layout, refLaunch, 'hello\n')],
    ];
    log(
      `bench:vm: accel=${first.accel} machine=${first.machine}; ${options.runs} rounds of ${contenders.map(([name]) => name).join(', ')} (order rotates each round)`,
    );
    const samples = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
    for (let i = 0; i < options.runs; i++) {
      // Rotate the order each round, so no contender always runs on a machine just warmed by another.
      for (let j = 0; j < contenders.length; j++) {
        const [name, once] = contenders[(i + j) % contenders.length]!;
        samples.get(name)!.push(await once());
      }
    }
    const label = `accel=${first.accel} machine=${first.machine}`;
    const summaryOf = (name: string): MsSummary => summarizeMs(samples.get(name)!);
    const headline = (s: MsSummary) => ({ medianMs: s.medianMs, n: s.n, ciMs: s.ciMs });
    const report: Record<string, unknown> = {
      bench: 'vm',
      accel: first.accel,
      machine: first.machine,
      n: options.runs,
      unit: 'ms',
      stock: null,
      minimal: null,
      // Snapshot restore is not built (see BENCHMARKS.md).
      snapshot: null,
    };
    for (const kernel of options.kernels) {
      const stats = statsOf(runs.get(kernel)!);
      const release = warm.get(kernel)!.kernelRelease;
      printTable(`bench:vm ${label} kernel=${kernel} (${release}) n=${options.runs}`, stats);
      process.stdout.write('\n');
      report[kernel] = { ...headline(summaryOf(kernel)), kernelRelease: release, stats, runs: runs.get(kernel) };
    }
    for (const kernel of Object.keys(VM_KERNEL_VARIANTS))
      if (!options.kernels.includes(kernel as VmKernelVariant))
        process.stdout.write(`kernel=${kernel}: not measured (left out by --kernels)\n`);
    process.stdout.write('snapshot restore: not measured (vm run --from-snapshot is not built yet)\n');
    if (options.kernels.includes('stock') && options.kernels.includes('minimal')) {
      const ratio = summaryOf('minimal').medianMs / summaryOf('stock').medianMs;
      const ci = ratioCiOf(samples.get('minimal')!, samples.get('stock')!, 3);
      report.minimalOverStock = { ratio: round(ratio, 3), ci95: ci };
      process.stdout.write(`boot to ready, minimal / stock (medians): ${ratio.toFixed(2)}x, 95% CI ${formatCi(ci)}\n`);
    }
    const bare = summaryOf('bareQemu');
    const same = summaryOf('isobenchSameCommand');
    report.bareQemu = { ...headline(bare), kernel: refKernel };
    report.isobenchSameCommand = { ...headline(same), kernel: refKernel };
    const overBare = ratioCiOf(samples.get('isobenchSameCommand')!, samples.get('bareQemu')!, 3);
    report.isobenchOverBare = { ratio: round(same.medianMs / bare.medianMs, 3), ci95: overBare };
    process.stdout.write(
      `\nsame guest (kernel=${refKernel}), to the ready marker, n=${options.runs}:\n` +
        `  bare QEMU (isobench's argv, spawn to ready)     median ${bare.medianMs} ms, 95% CI ${formatCi(bare.ciMs)}\n` +
        `  through isobench (runVm call to ready)          median ${same.medianMs} ms, 95% CI ${formatCi(same.ciMs)}\n` +
        `  isobench / bare: ${(same.medianMs / bare.medianMs).toFixed(3)}x (medians), Hodges-Lehmann 95% CI ${formatCi(overBare)}\n`,
    );
    report.densitySlopeMiB = { booted: null, restored: null };
    if (options.density.length >= 2) {
      const points: Array<{ guests: number; pssMiB: number }> = [];
      for (const count of options.density) {
        log(`bench:vm: density: ${count} idle guest(s) (kernel=${refKernel})`);
        points.push({ guests: count, pssMiB: round((await densityPoint(layout, refLaunch, count)) / 2 ** 20, 1) });
      }
      const fit = fitLine(
        points.map((p) => p.guests),
        points.map((p) => p.pssMiB),
      );
      const ci = fit.slopeCi.state === 'interval' ? [round(fit.slopeCi.low, 1), round(fit.slopeCi.high, 1)] : null;
      report.densitySlopeMiB = { booted: round(fit.slope, 2), restored: null };
      report.density = { kernel: refKernel, points, slopeCi95MiB: ci, interceptMiB: round(fit.intercept, 1) };
      process.stdout.write(
        `\ndensity (kernel=${refKernel}, QEMU PSS summed over N idle guests): ${points.map((p) => `N=${p.guests} ${p.pssMiB} MiB`).join(', ')}\n` +
          `  per extra booted guest: ${fit.slope.toFixed(1)} MiB (95% CI ${ci ? `${ci[0]}–${ci[1]}` : 'none: too few points'}); restored guests: not measured (no snapshot restore)\n`,
      );
    } else {
      process.stdout.write('\ndensity: skipped (--density needs at least 2 guest counts)\n');
    }
    if (options.json) {
      const pick = ({ medianMs, n, ciMs }: { medianMs: number; n: number; ciMs: unknown }) => ({ medianMs, n, ciMs });
      const headlineOf = (key: string) => (report[key] ? pick(report[key] as MsSummary) : null);
      const last = {
        accel: report.accel,
        stock: headlineOf('stock'),
        minimal: headlineOf('minimal'),
        snapshot: null,
        bareQemu: headlineOf('bareQemu'),
        isobenchSameCommand: headlineOf('isobenchSameCommand'),
        densitySlopeMiB: report.densitySlopeMiB,
      };
      process.stdout.write(`${JSON.stringify({ ...report, ...last })}\n`);
    }
  } finally {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  }
}

runBench(SCRIPT, main);
