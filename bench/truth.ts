// bench:truth — cross-checks the harness's figures against independent measurements of the same
// event, with the same target code the suite uses (src/targets):
//   startup  native and runc start-to-exit as the harness times it (Target.launch → Instance.exited,
//            the suite's startup.exit) next to hyperfine -N on the same command, in one interleaved run;
//   memory   a probe holding alloc=64 in native, container and vm: the harness's memory.pss
//            (Instance.sampleMemory) next to smaps_rollup read by separate `cat` processes over the
//            same process tree (found with `ps`), the container's cgroup usage read the same way, and
//            the VM guest's own view, which must hold the 64 MiB;
//   vmClock  compute=S and compute=L in one guest: the guest-reported difference against the host's
//            wall-clock difference between the arrivals of the two report lines.
// Each R is harness / independent (vmClock: guest / host). Records figures; asserts nothing.
// Usage:
//   npm run bench:truth -- [--rounds 6] [--block 5] [--warmup 3] [--memory-reads 5] [--vm-rounds 3]
//                          [--vm-small 50] [--vm-large 300] [--only startup,memory,vmclock] [--root DIR] [--json]
import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { monotonicNs } from '../src/measure/clock.js';
import { probeBinary, rootLayout } from '../src/paths.js';
import { median } from '../src/stats/index.js';
import { ContainerTarget } from '../src/targets/container.js';
import { ensureImage } from '../src/targets/image-prep.js';
import { NativeTarget } from '../src/targets/native.js';
import { RuncTarget } from '../src/targets/runc.js';
import type { Instance, MemorySample, Target, WorkloadSpec } from '../src/targets/types.js';
import { VmTarget } from '../src/targets/vm.js';
import { runVm } from '../src/vm/index.js';
import { type Cleanups, logLine, openBenchRun } from './lib/cleanups.js';
import { HYPERFINE_MISSING, timeHyperfineBlock } from './lib/hyperfine.js';
import {
  absolutePath,
  benchProgram,
  benchUsageError,
  integerAtLeast,
  listOf,
  parseBenchOptions,
  runBench,
} from './lib/options.js';
import { probeWorkload, readLoadavg } from './lib/probe-workload.js';
import { prepareRuncBundle } from './lib/runc-bundle.js';
import { formatCi, type RoundedCi, ratioCiOf, round, summarizeMs } from './lib/summary-ms.js';
import {
  type ClockRun,
  clockDifferences,
  descendantsOf,
  memoryCgroupOf,
  parseComputeLine,
  parsePsTable,
  type RollupFigures,
  sumSmapsRollups,
  truthRatio,
} from './lib/truth-figures.js';

const execFileAsync = promisify(execFile);
const log = logLine('bench:truth');
const MIB = 1024 * 1024;
const ALLOC_MIB = 64;
/** The goals: startup and memory within 5 %, the VM clock within 10 %. */
const GOALS = { startup: 0.05, memory: 0.05, vmClock: 0.1 } as const;
const PARTS = ['startup', 'memory', 'vmclock'] as const;
type Part = (typeof PARTS)[number];

interface Options {
  rounds: number;
  block: number;
  warmup: number;
  memoryReads: number;
  vmRounds: number;
  vmSmall: number;
  vmLarge: number;
  only: Set<Part>;
  root?: string;
  json: boolean;
}

const SCRIPT = 'bench:truth';

function parseOptions(argv: string[]): Options {
  const program = benchProgram(SCRIPT, "The harness's figures against independent measurements of the same thing.")
    .option('--rounds <n>', 'startup: interleaved rounds', integerAtLeast(1), 6)
    .option('--block <n>', 'startup: runs per timer in each round', integerAtLeast(1), 5)
    .option('--warmup <n>', 'startup: untimed runs first', integerAtLeast(0), 3)
    .option('--memory-reads <n>', 'memory: reads per target', integerAtLeast(1), 5)
    .option('--vm-rounds <n>', 'vmclock: rounds', integerAtLeast(1), 3)
    .option('--vm-small <n>', 'vmclock: the smaller compute size', integerAtLeast(0), 50)
    .option('--vm-large <n>', 'vmclock: the larger compute size', integerAtLeast(1), 300)
    .option('--only <parts>', `parts to run (${PARTS.join(',')})`, listOf(PARTS), [...PARTS])
    .option('--root <dir>', 'state directory (default: a temporary one)', absolutePath)
    .option('--json', 'print the figures, the last line one JSON object', false);
  const parsed = parseBenchOptions<Omit<Options, 'only'> & { only: Part[] }>(program, argv);
  if (parsed.vmLarge <= parsed.vmSmall)
    throw benchUsageError(
      SCRIPT,
      `expected --vm-large (${parsed.vmLarge}) to be more than --vm-small (${parsed.vmSmall})`,
    );
  return { ...parsed, only: new Set(parsed.only) };
}

/** A part's figure that could not be taken on this host, with the reason. */
interface Absent {
  absent: string;
}
const absent = (reason: string): Absent => ({ absent: reason });
const isAbsent = (value: unknown): value is Absent => typeof value === 'object' && value !== null && 'absent' in value;

// ---- startup ----------------------------------------------------------------------------------

/**
 * The suite's startup.exit (Target.launch's stamp to Instance.exited's), and the part of it from
 * the phase mark `fromMark` on (runc: overlayNs, right before `runc run` is spawned), in ns.
 */
async function timeHarnessLaunch(
  target: Target,
  workload: WorkloadSpec,
  cleanups: Cleanups,
  fromMark?: string,
): Promise<{ exitNs: number; comparedNs: number }> {
  const instance = await target.launch(workload);
  const forget = cleanups.add(`the ${target.kind} instance`, () => instance.dispose());
  try {
    const exit = await instance.exited;
    if (exit.exitCode !== 0)
      throw new Error(`${target.kind}: the probe exited ${exit.exitCode}: ${instance.outputLines().join(' ')}`);
    const exitNs = Number(exit.atNs - instance.launchedAtNs);
    if (fromMark === undefined) return { exitNs, comparedNs: exitNs };
    const markNs = instance.phases()[fromMark];
    if (markNs === undefined) throw new Error(`${target.kind}: the launch has no '${fromMark}' phase mark`);
    return { exitNs, comparedNs: exitNs - markNs };
  } finally {
    forget();
    await instance.dispose();
  }
}

interface StartupSubject {
  kind: 'native' | 'runc';
  target: Target;
  command: string;
  /** The phase mark the compared span starts at; undefined: the whole startup.exit. */
  fromMark?: string;
  /** The harness's span compared with hyperfine's, and the whole startup.exit, ns. */
  harness: number[];
  harnessExit: number[];
  hyperfine: number[];
}

async function measureStartup(root: string, tmp: string, cleanups: Cleanups, o: Options) {
  const hyperfineVersion = (await execFileAsync('hyperfine', ['--version']).catch(() => undefined))?.stdout.trim();
  if (hyperfineVersion === undefined) return { native: absent(HYPERFINE_MISSING), runc: absent(HYPERFINE_MISSING) };
  const workload = probeWorkload(['exit=0']);
  const subjects: StartupSubject[] = [];
  const native = new NativeTarget({ root });
  await native.prepare(workload);
  subjects.push({
    kind: 'native',
    target: native,
    command: `${path.resolve(probeBinary())} exit=0`,
    harness: [],
    harnessExit: [],
    hyperfine: [],
  });
  const runc = new RuncTarget({ root });
  const runcAvailability = await runc.probe();
  let runcResult: Absent | undefined;
  if (runcAvailability.available) {
    await runc.prepare(workload);
    cleanups.add('the runc target', () => runc.cleanup());
    const { id, paths } = await prepareRuncBundle(root, cleanups, workload);
    subjects.push({
      kind: 'runc',
      target: runc,
      command: `runc run --bundle ${paths.dir} ${id}`,
      fromMark: 'overlayNs',
      harness: [],
      harnessExit: [],
      hyperfine: [],
    });
  } else runcResult = absent(`runc: ${runcAvailability.reason}`);

  let current: ChildProcess | undefined;
  cleanups.add('hyperfine', async () => {
    current?.kill('SIGKILL');
  });
  const loadavgBefore = await readLoadavg();
  for (const subject of subjects)
    for (let i = 0; i < o.warmup; i++) await timeHarnessLaunch(subject.target, workload, cleanups, subject.fromMark);
  log(
    `startup: ${o.rounds} rounds; per round and target a block of ${o.block} harness launches and ${o.block} hyperfine runs, alternating which goes first`,
  );
  for (let round = 0; round < o.rounds; round++) {
    const order = round % 2 === 0 ? subjects : [...subjects].reverse();
    for (const subject of order) {
      const harnessFirst = round % 2 === 0;
      for (const who of harnessFirst ? ['harness', 'hyperfine'] : ['hyperfine', 'harness']) {
        if (who === 'harness') {
          for (let i = 0; i < o.block; i++) {
            const { exitNs, comparedNs } = await timeHarnessLaunch(
              subject.target,
              workload,
              cleanups,
              subject.fromMark,
            );
            subject.harness.push(comparedNs);
            subject.harnessExit.push(exitNs);
          }
        } else {
          const jsonFile = path.join(tmp, `hyperfine-${subject.kind}-${round}.json`);
          const times = await timeHyperfineBlock(
            subject.command,
            o.block,
            round === 0 ? o.warmup : 0,
            jsonFile,
            (c) => {
              current = c;
            },
          );
          subject.hyperfine.push(...times);
        }
      }
    }
  }
  const loadavgAfter = await readLoadavg();
  const figures = (subject: StartupSubject) => {
    const harness = summarizeMs(subject.harness);
    const hyperfine = summarizeMs(subject.hyperfine);
    const ratio = truthRatio(median(subject.harness), median(subject.hyperfine));
    return {
      command: subject.command,
      compared: subject.fromMark === undefined ? 'startup.exit' : `startup.exit - ${subject.fromMark}`,
      harnessExitMs: summarizeMs(subject.harnessExit),
      harnessMs: harness,
      hyperfineMs: hyperfine,
      ratio: ratio === null ? null : round(ratio, 4),
      ratioCi: ratioCiOf(subject.harness, subject.hyperfine, 4),
      withinGoal: ratio !== null && Math.abs(ratio - 1) <= GOALS.startup,
    };
  };
  const byKind = Object.fromEntries(subjects.map((s) => [s.kind, figures(s)]));
  return {
    covers:
      "harness: the suite's startup.exit, from Target.launch's stamp to the child's exit as Instance.exited stamps it (node's 'exit' event), stdout/stderr piped; " +
      'native: the whole of it (the stamp is taken right before spawn()); runc: from its overlayNs mark (bundle written and overlay mounted, right before `runc run --bundle B <id>` is spawned) to the exit, ' +
      'the same event hyperfine times; the whole runc startup.exit, bundle and mount included, is given next to it. ' +
      'hyperfine: -N (no shell), its own per-run wall time from before fork to after wait, output to /dev/null, one standing bundle for runc. ' +
      `Same binary and argv (isobench-probe exit=0). ${o.warmup} warm-up runs each, not counted.`,
    hyperfine: hyperfineVersion,
    loadavgBefore,
    loadavgAfter,
    native: byKind.native ?? absent('native: not measured'),
    runc: runcResult ?? byKind.runc ?? absent('runc: not measured'),
  };
}

// ---- memory -----------------------------------------------------------------------------------

/** `ps` run as its own process: pid, ppid and args of every process. */
async function readPsTable() {
  const { stdout } = await execFileAsync('ps', ['-e', '-o', 'pid=,ppid=,args='], { maxBuffer: 16 * MIB });
  return parsePsTable(stdout);
}

/** `cat FILE` as its own process; '' when the file is gone (the process exited meanwhile). */
async function catFile(file: string): Promise<string> {
  return (await execFileAsync('cat', [file]).catch(() => ({ stdout: '' }))).stdout;
}

/**
 * The process tree of an instance, found without the harness: the process whose args match, then
 * its ancestors up to (not including) this bench process or pid 1 — the container's monitor, or the
 * probe / QEMU itself — and everything below that.
 */
async function findInstanceTree(
  match: (args: string) => boolean,
  mustBeOurs: boolean,
): Promise<{ pids: number[]; matched: number }> {
  const rows = await readPsTable();
  const byPid = new Map(rows.map((row) => [row.pid, row]));
  const ours = new Set(descendantsOf(rows, process.pid));
  const found = rows.find((row) => match(row.args) && (!mustBeOurs || ours.has(row.pid)));
  if (found === undefined) throw new Error('the instance process was not found in ps');
  let top = found;
  for (let parent = byPid.get(top.ppid); parent && parent.pid !== process.pid && parent.pid > 1; ) {
    top = parent;
    parent = byPid.get(top.ppid);
  }
  return { pids: descendantsOf(rows, top.pid), matched: found.pid };
}

/** smaps_rollup of every pid, each read by its own `cat`, summed. */
async function readTreeRollup(pids: number[]): Promise<RollupFigures> {
  return sumSmapsRollups(await Promise.all(pids.map((pid) => catFile(`/proc/${pid}/smaps_rollup`))));
}

/** The memory cgroup usage of `pid`, read with `cat` (v1 memory.usage_in_bytes, v2 memory.current). */
async function readCgroupUsage(pid: number): Promise<{ bytes: number; file: string } | undefined> {
  const where = memoryCgroupOf(await catFile(`/proc/${pid}/cgroup`));
  if (where === undefined) return undefined;
  const candidates =
    where.version === 1
      ? [path.join('/sys/fs/cgroup/memory', where.path, 'memory.usage_in_bytes')]
      : [
          path.join('/sys/fs/cgroup', where.path, 'memory.current'),
          path.join('/sys/fs/cgroup/unified', where.path, 'memory.current'),
        ];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (file === undefined) return undefined;
  const text = (await catFile(file)).trim();
  return /^\d+$/.test(text) ? { bytes: Number(text), file } : undefined;
}

/** One target's memory cross-check (MiB are medians of the reads). */
interface MemoryFigures {
  pids: number;
  harnessPssMiB: number;
  independentPssMiB: number;
  independentPssAnonMiB: number;
  ratio: number | null;
  withinGoal: boolean;
  holdsAlloc: boolean;
  cgroup?: { file: string; usageMiB: number | null; ratio: number | null; withinGoal: boolean };
  accel?: string | undefined;
  guest?: { usedMiB: number | null; totalMiB: number | null; holdsAlloc: boolean };
}

const mib = (bytes: number) => round(bytes / MIB, 2);

async function measureMemoryOf(target: Target, cleanups: Cleanups, o: Options) {
  const availability = await target.probe();
  if (!availability.available) return absent(`${target.kind}: ${availability.reason}`);
  const nonce = `TRUTH-${randomBytes(6).toString('hex')}`;
  const workload = probeWorkload([`alloc=${ALLOC_MIB}`, `ready=${nonce}`, 'idle'], nonce);
  log(
    `memory: ${target.kind}: preparing${target.kind === 'vm' ? ' (the first VM preparation fetches a kernel: minutes)' : ''}`,
  );
  await target.prepare(workload);
  const instance: Instance = await target.launch(workload);
  const forget = cleanups.add(`the ${target.kind} instance`, () => instance.dispose());
  try {
    await instance.ready;
    await sleep(300); // let the launch's own stream reads and the monitor settle
    // The VM's processes are QEMU's: its args do not carry the nonce, but it is ours (our descendant).
    const match =
      target.kind === 'vm'
        ? (args: string) => /qemu-system/.test(args)
        : (args: string) => args.startsWith('isobench-probe') && args.includes(nonce);
    const tree = await findInstanceTree(match, target.kind === 'vm');
    const harness: number[] = [];
    const independent: number[] = [];
    const independentAnon: number[] = [];
    const cgroupUsage: number[] = [];
    let cgroupFile: string | undefined;
    let last: MemorySample | undefined;
    for (let i = 0; i < o.memoryReads; i++) {
      last = await instance.sampleMemory();
      harness.push(last.pssBytes);
      const rollup = await readTreeRollup(tree.pids);
      independent.push(rollup.pssBytes);
      independentAnon.push(rollup.pssAnonBytes);
      if (target.kind === 'container') {
        const usage = await readCgroupUsage(tree.matched);
        if (usage !== undefined) {
          cgroupUsage.push(usage.bytes);
          cgroupFile = usage.file;
        }
      }
      await sleep(100);
    }
    const harnessMedian = median(harness);
    const ratio = truthRatio(harnessMedian, median(independent));
    const result: MemoryFigures = {
      pids: tree.pids.length,
      harnessPssMiB: mib(harnessMedian),
      independentPssMiB: mib(median(independent)),
      independentPssAnonMiB: mib(median(independentAnon)),
      ratio: ratio === null ? null : round(ratio, 4),
      withinGoal: ratio !== null && Math.abs(ratio - 1) <= GOALS.memory,
      holdsAlloc: median(independentAnon) >= ALLOC_MIB * MIB,
    };
    if (target.kind === 'container') {
      const cgroupRatio = cgroupUsage.length > 0 ? truthRatio(harnessMedian, median(cgroupUsage)) : null;
      result.cgroup = {
        file: cgroupFile ?? 'not found',
        usageMiB: cgroupUsage.length > 0 ? mib(median(cgroupUsage)) : null,
        ratio: cgroupRatio === null ? null : round(cgroupRatio, 4),
        withinGoal: cgroupRatio !== null && Math.abs(cgroupRatio - 1) <= GOALS.memory,
      };
    }
    if (target.kind === 'vm') {
      const usedBytes = last?.guest?.usedBytes;
      result.accel = target.accel?.();
      result.guest = {
        usedMiB: usedBytes === undefined ? null : mib(usedBytes),
        totalMiB: last?.guest?.totalBytes === undefined ? null : mib(last.guest.totalBytes),
        holdsAlloc: usedBytes !== undefined && usedBytes >= ALLOC_MIB * MIB,
      };
    }
    return result;
  } finally {
    forget();
    await instance.dispose();
  }
}

async function measureMemory(root: string, cleanups: Cleanups, o: Options) {
  const container = new ContainerTarget({ root, cgroupParent: `isobench-bench-truth-${process.pid}` });
  const vm = new VmTarget({ root, log });
  cleanups.add('the container target', () => container.cleanup());
  cleanups.add('the vm target', () => vm.cleanup());
  const result: Record<string, unknown> = {
    covers:
      `a probe holding alloc=${ALLOC_MIB} (every page touched), idle after its ready line; ${o.memoryReads} reads, harness and independent alternating, medians. ` +
      'harness: Instance.sampleMemory().pssBytes (memory.pss: PSS summed over the instance tree: native the probe, container monitor + workload, vm QEMU); ' +
      'independent: Pss from /proc/PID/smaps_rollup read by a separate `cat` per process, over the tree found with `ps` ' +
      '(the matching process, its ancestors below this bench process, and all their descendants); ' +
      "container cgroup: memory.usage_in_bytes (v1) or memory.current (v2) of the probe's memory cgroup, read with `cat` (it holds the workload only, page cache and kernel memory included); " +
      `vm guest: the guest's MemTotal - MemAvailable as the harness reports it, which must be >= ${ALLOC_MIB} MiB.`,
  };
  for (const target of [new NativeTarget({ root }), container, vm] as Target[]) {
    try {
      result[target.kind] = await measureMemoryOf(target, cleanups, o);
    } catch (error) {
      result[target.kind] = absent(`${target.kind}: ${(error as Error).message}`);
    }
  }
  return result;
}

// ---- VM clock ---------------------------------------------------------------------------------

/** One guest running compute=S then compute=L; each stdout line stamped on the host when it arrives. */
async function runClockOnce(root: string, o: Options, signal: AbortSignal): Promise<ClockRun & { accel: string }> {
  const marker = 'TRUTH-CLOCK';
  const arrivals: Array<{ line: string; atNs: bigint }> = [];
  let partial = '';
  const result = await runVm(rootLayout(root), {
    image: 'probe',
    args: ['isobench-probe', `ready=${marker}`, `compute=${o.vmSmall}`, `compute=${o.vmLarge}`, 'exit=0'],
    memoryMiB: 256,
    cpus: 1,
    machine: 'microvm',
    accel: 'auto',
    network: 'none',
    signal,
    stdout: (chunk) => {
      const atNs = monotonicNs();
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) arrivals.push({ line: line.replace(/\r$/, ''), atNs });
    },
  });
  if (result.exitCode !== 0) throw new Error(`the clock guest exited ${result.exitCode}`);
  const ready = arrivals.find((a) => a.line.startsWith(marker));
  const computes = arrivals.flatMap((a) => {
    const parsed = parseComputeLine(a.line);
    return parsed ? [{ ...parsed, atNs: a.atNs }] : [];
  });
  const small = computes.find((c) => c.rounds === o.vmSmall);
  const large = computes.find((c) => c.rounds === o.vmLarge && c !== small);
  if (ready === undefined || small === undefined || large === undefined)
    throw new Error(
      `the clock guest's output lacks the ready or compute lines: ${arrivals.map((a) => a.line).join(' | ')}`,
    );
  return {
    guestSmallNs: small.ns,
    guestLargeNs: large.ns,
    hostSmallNs: Number(small.atNs - ready.atNs),
    hostLargeNs: Number(large.atNs - small.atNs),
    accel: result.accel,
  };
}

async function measureVmClock(root: string, cleanups: Cleanups, o: Options) {
  const vm = new VmTarget({ root, log });
  const availability = await vm.probe();
  if (!availability.available) return absent(`vm: ${availability.reason}`);
  await ensureImage(rootLayout(root), 'probe', log);
  const abort = new AbortController();
  let running: Promise<unknown> | undefined;
  // Abort, then wait for runVm to stop QEMU and remove the VM's dir before the process exits.
  const forget = cleanups.add('the clock guest', async () => {
    abort.abort();
    await running?.catch(() => undefined);
  });
  const guestDiffs: number[] = [];
  const hostDiffs: number[] = [];
  let accel = '';
  log(`vmClock: ${o.vmRounds} guests, each compute=${o.vmSmall} then compute=${o.vmLarge}`);
  for (let i = 0; i < o.vmRounds; i++) {
    const pending = runClockOnce(root, o, abort.signal);
    running = pending;
    const run = await pending;
    accel = run.accel;
    const { guestDiffNs, hostDiffNs } = clockDifferences(run);
    guestDiffs.push(guestDiffNs);
    hostDiffs.push(hostDiffNs);
  }
  forget();
  const ratio = truthRatio(median(guestDiffs), median(hostDiffs));
  return {
    covers:
      `per guest: guest diff = ns reported by compute=${o.vmLarge} minus by compute=${o.vmSmall} (guest CLOCK_MONOTONIC around the loop); ` +
      'host diff = (arrival of the large line - arrival of the small line) - (arrival of the small line - arrival of the ready line), host monotonic clock, ' +
      'so boot, serial latency and poweroff cancel. R = median guest diff / median host diff.',
    accel,
    n: guestDiffs.length,
    guestDiffMs: summarizeMs(guestDiffs),
    hostDiffMs: summarizeMs(hostDiffs),
    ratio: ratio === null ? null : round(ratio, 4),
    ratioCi: ratioCiOf(guestDiffs, hostDiffs, 4),
    withinGoal: ratio !== null && Math.abs(ratio - 1) <= GOALS.vmClock,
  };
}

// ---- main -------------------------------------------------------------------------------------

async function hostFacts() {
  const cpus = os.cpus();
  const cpuinfo = await fs.readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    kernel: os.release(),
    hypervisorFlag: /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo),
    loadavgStart: await readLoadavg(),
  };
}

const ratioOf = (part: unknown): number | null =>
  part === undefined || isAbsent(part) ? null : ((part as { ratio: number | null }).ratio ?? null);

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { cleanups, tmp } = await openBenchRun('truth', log);
  const root = options.root ?? process.env.ISOBENCH_ROOT ?? path.join(tmp, 'root');
  try {
    const host: Record<string, unknown> = { ...(await hostFacts()), root };
    log('building the probe image');
    await ensureImage(rootLayout(root), 'probe', log);
    const result: Record<string, unknown> = { host };
    const skipped = absent('not run (--only)');
    result.startup = options.only.has('startup')
      ? await measureStartup(root, tmp, cleanups, options)
      : { native: skipped, runc: skipped };
    result.memory = options.only.has('memory')
      ? await measureMemory(root, cleanups, options)
      : { native: skipped, container: skipped, vm: skipped };
    result.vmClock = options.only.has('vmclock')
      ? await measureVmClock(root, cleanups, options).catch((error: Error) => absent(`vmClock: ${error.message}`))
      : skipped;
    host.loadavgEnd = await readLoadavg();
    printReport(result, options);
    if (options.json) {
      const startup = result.startup as Record<string, unknown> | undefined;
      const memory = result.memory as Record<string, unknown> | undefined;
      const headline = {
        startup: { native: ratioOf(startup?.native), runc: ratioOf(startup?.runc) },
        memory: { native: ratioOf(memory?.native), container: ratioOf(memory?.container), vm: ratioOf(memory?.vm) },
        vmClock: ratioOf(result.vmClock),
      };
      process.stdout.write(`details ${JSON.stringify(result)}\n`);
      process.stdout.write(`${JSON.stringify(headline)}\n`);
    }
  } finally {
    await cleanups.runAll();
  }
}

function printReport(result: Record<string, unknown>, o: Options): void {
  const host = result.host as Awaited<ReturnType<typeof hostFacts>> & { loadavgEnd: string };
  const lines = [
    `host: ${host.cpus} cpus (${host.cpuModel}), kernel ${host.kernel}, hypervisor flag ${host.hypervisorFlag ? 'set (nested/virtualised)' : 'not set'}, loadavg ${host.loadavgStart} at start, ${host.loadavgEnd} at end`,
  ];
  const reasonLines = (name: string, part: unknown) => {
    if (isAbsent(part)) lines.push(`${name}: null (${part.absent})`);
    return isAbsent(part);
  };
  const startup = result.startup as Awaited<ReturnType<typeof measureStartup>> | undefined;
  if (startup) {
    lines.push(
      '',
      '| startup (harness span) | n | whole startup.exit median ms | harness span median ms | harness CI | hyperfine median ms | hyperfine CI | R | R 95% CI | within 5 % |',
    );
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const kind of ['native', 'runc'] as const) {
      const part = startup[kind];
      if (reasonLines(`startup.${kind}`, part)) continue;
      const s = part as Exclude<typeof part, Absent>;
      lines.push(
        `| ${kind} (${s.compared}) | ${s.harnessMs.n}+${s.hyperfineMs.n} | ${s.harnessExitMs.medianMs} | ${s.harnessMs.medianMs} | ${formatCi(s.harnessMs.ciMs)} | ${s.hyperfineMs.medianMs} | ${formatCi(s.hyperfineMs.ciMs)} | ${s.ratio} | ${formatCi(s.ratioCi as RoundedCi)} | ${s.withinGoal ? 'yes' : 'no'} |`,
      );
    }
    if ('covers' in startup)
      lines.push(
        `covers: ${startup.covers} ${startup.hyperfine}; loadavg ${startup.loadavgBefore} → ${startup.loadavgAfter}`,
      );
  }
  const memory = result.memory as Record<string, unknown> | undefined;
  if (memory) {
    lines.push(
      '',
      `| memory (alloc=${ALLOC_MIB}, n=${o.memoryReads} reads) | pids | harness PSS MiB | independent PSS MiB | independent Pss_Anon MiB | R | within 5 % | other check |`,
    );
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const kind of ['native', 'container', 'vm']) {
      const part = memory[kind];
      if (reasonLines(`memory.${kind}`, part)) continue;
      const m = part as MemoryFigures;
      const other =
        kind === 'container'
          ? `cgroup usage ${m.cgroup?.usageMiB} MiB, R ${m.cgroup?.ratio} (${m.cgroup?.withinGoal ? 'within' : 'outside'} 5 %)`
          : kind === 'vm'
            ? `accel ${m.accel}; guest used ${m.guest?.usedMiB} MiB of ${m.guest?.totalMiB}: ${m.guest?.holdsAlloc ? '≥' : 'BELOW'} ${ALLOC_MIB} MiB`
            : '';
      lines.push(
        `| ${kind} | ${m.pids} | ${m.harnessPssMiB} | ${m.independentPssMiB} | ${m.independentPssAnonMiB} | ${m.ratio} | ${m.withinGoal ? 'yes' : 'no'} | ${other} |`,
      );
    }
    if (memory.covers !== undefined) lines.push(`covers: ${memory.covers}`);
  }
  const clock = result.vmClock as Awaited<ReturnType<typeof measureVmClock>> | undefined;
  if (clock && !reasonLines('vmClock', clock)) {
    const c = clock as Exclude<typeof clock, Absent>;
    lines.push(
      '',
      `vmClock (accel ${c.accel}, n=${c.n}): guest diff median ${c.guestDiffMs.medianMs} ms, host diff median ${c.hostDiffMs.medianMs} ms, R ${c.ratio} (95% CI ${formatCi(c.ratioCi as RoundedCi)}), within 10 %: ${c.withinGoal ? 'yes' : 'no'}`,
      `covers: ${c.covers}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

runBench(SCRIPT, main);
