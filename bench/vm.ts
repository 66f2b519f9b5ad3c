// bench:vm — boot-to-ready of a hello workload in a QEMU guest (busybox image), for each kernel
// variant side by side: stock (Debian's kernel + initramfs) and minimal (built from source, root
// straight from the disk), interleaved per round with the order alternating. n runs each, median
// and spread, the phase breakdown, and the host-side overhead over the guest kernel's own uptime at
// ready. Every figure is labelled with accel and machine: a TCG figure must never pass for a KVM
// one. Records figures; asserts nothing. Usage:
//   node dist/bench/vm.js [--runs 10] [--kernels stock,minimal] [--machine microvm|q35]
//                         [--accel auto|kvm|tcg] [--root DIR] [--json]
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImageStore } from '../src/image/store.js';
import { rootLayout } from '../src/paths.js';
import { summarize } from '../src/stats/index.js';
import type { VmAccelRequest } from '../src/vm/accel.js';
import { VM_KERNEL_VARIANTS, type VmKernelVariant, type VmMachine } from '../src/vm/definition.js';
import { type RunVmOptions, runVm, type VmRunResult } from '../src/vm/index.js';

interface Options {
  runs: number;
  kernels: VmKernelVariant[];
  machine: VmMachine;
  accel: VmAccelRequest;
  root?: string;
  json: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { runs: 10, kernels: ['stock', 'minimal'], machine: 'microvm', accel: 'auto', json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--json') options.json = true;
    else if (arg === '--runs' && Number.isInteger(Number(value)) && Number(value) >= 1) {
      options.runs = Number(value);
      i++;
    } else if (arg === '--kernels' && value && value.split(',').every((k) => Object.hasOwn(VM_KERNEL_VARIANTS, k))) {
      options.kernels = [...new Set(value.split(','))] as VmKernelVariant[];
      i++;
    } else if (arg === '--machine' && (value === 'microvm' || value === 'q35')) {
      options.machine = value;
      i++;
    } else if (arg === '--accel' && (value === 'auto' || value === 'kvm' || value === 'tcg')) {
      options.accel = value;
      i++;
    } else if (arg === '--root' && value) {
      options.root = path.resolve(value);
      i++;
    } else {
      throw new Error(
        `unexpected '${arg}' (expected --runs N (>= 1), --kernels stock,minimal, --machine microvm|q35, --accel auto|kvm|tcg, --root DIR, --json)`,
      );
    }
  }
  return options;
}

const IMAGE = 'isobench-bench/vm-hello:busybox';

/** Builds a one-layer busybox image (busybox + sh/echo) unless the store has it. */
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
    for (const applet of ['sh', 'echo']) await fs.symlink('busybox', path.join(rootfs, 'bin', applet));
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
    log(
      `bench:vm: accel=${first.accel} machine=${first.machine}; ${options.runs} rounds of ${options.kernels.join(', ')}`,
    );
    const runs = new Map<VmKernelVariant, RunFigures[]>(options.kernels.map((k) => [k, []]));
    for (let i = 0; i < options.runs; i++) {
      // Alternate the order each round, so neither variant always runs on a machine just warmed by the other.
      const order = i % 2 === 0 ? options.kernels : [...options.kernels].reverse();
      for (const kernel of order) {
        let out = '';
        const result = await runVm(layout, { ...launchOf(kernel), stdout: (chunk) => (out += chunk) });
        if (result.exitCode !== 0 || out !== 'hello\n')
          throw new Error(`${kernel} run ${i}: unexpected result ${result.exitCode} ${JSON.stringify(out)}`);
        runs.get(kernel)!.push(figuresOf(result));
      }
    }
    const label = `accel=${first.accel} machine=${first.machine}`;
    const report: Record<string, unknown> = {
      bench: 'vm',
      accel: first.accel,
      machine: first.machine,
      n: options.runs,
      unit: 'ms',
    };
    for (const kernel of options.kernels) {
      const stats = statsOf(runs.get(kernel)!);
      const release = warm.get(kernel)!.kernelRelease;
      printTable(`bench:vm ${label} kernel=${kernel} (${release}) n=${options.runs}`, stats);
      process.stdout.write('\n');
      report[kernel] = { medianMs: stats.readyMs.median, kernelRelease: release, stats, runs: runs.get(kernel) };
    }
    if (options.kernels.includes('stock') && options.kernels.includes('minimal')) {
      const ratio = (report.minimal as { medianMs: number }).medianMs / (report.stock as { medianMs: number }).medianMs;
      report.minimalOverStock = ratio;
      process.stdout.write(`boot to ready, minimal / stock (medians): ${ratio.toFixed(2)}x\n`);
    }
    if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:vm: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
