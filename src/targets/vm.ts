// The vm target: one QEMU guest per instance through runPreparedVm (attached), booting the
// workload's image from what prepare() cached (kernel, initramfs, base disk, accelerator) with a
// per-VM qcow2 overlay, so a launch redoes none of the preparation inside the clock.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { WorkloadError } from '../errors.js';
import { monotonicNs } from '../measure/clock.js';
import { measureDiskUsage } from '../measure/disk-usage.js';
import { memoryFiguresOf, readProcessTreeMemory } from '../measure/process-memory.js';
import { type RootLayout, rootLayout } from '../paths.js';
import { findExecutable } from '../util/find-executable.js';
import { probeKvm, resolveAccel } from '../vm/accel.js';
import { variantOfDefinition } from '../vm/definition.js';
import { resolveVmImage, type VmImageSource } from '../vm/image-source.js';
import { type RunVmOptions, runPreparedVm, type VmRunResult } from '../vm/index.js';
import { forLaunch, type PreparedVm, prepareVm, type VmLaunchOptions } from '../vm/prepare.js';
import { QEMU_BINARY } from '../vm/qemu-args.js';
import { SETUP_HINT } from '../vm/tools.js';
import { listVmIds, readVmState, vmPaths } from '../vm/vm-state.js';
import type { Accel } from '../vocabulary.js';
import { ensureImage } from './image-prep.js';
import { readProbeReport } from './probe-output.js';
import { createReadyMarkerReader, type ReadyMarkerReader } from './ready-marker.js';
import type {
  Availability,
  ImageFootprintParts,
  Instance,
  InstanceExit,
  MemorySample,
  Target,
  WorkloadSpec,
} from './types.js';

const MIB = 1024 * 1024;
/** The `detail` of an available vm target on a host without KVM. */
export const TCG_DETAIL = 'tcg (no /dev/kvm: slow software emulation)';

export interface VmTargetOptions {
  /** Absolute state root (image store, VM artifacts). */
  root: string;
  /** Guest definition in vm-images/ (default "default"). */
  definition?: string;
  /** Progress lines of prepare() (image builds, kernel fetch); default nowhere. */
  log?: (line: string) => void;
  /** Kill a VM after this many ms (boot + workload); default runVm's. */
  timeoutMs?: number;
}

/** Whole MiB of a guest memory size in bytes (the scenario loader guarantees whole MiB). */
export function guestMemoryMiB(memoryBytes: number): number {
  return Math.max(1, Math.round(memoryBytes / MIB));
}

/**
 * runPreparedVm's phases shifted to "ns from launch" by `offsetNs` (launch -> its own t0), up to
 * the exit status: QEMU's exit comes after it and belongs to the teardown.
 */
export function phasesFromLaunch(result: Pick<VmRunResult, 'phases'>, offsetNs: number): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const [key, value] of Object.entries(result.phases)) {
    if (typeof value === 'number' && key !== 'qemuExitNs') phases[key] = value + offsetNs;
  }
  return phases;
}

/**
 * Availability of the vm target from what is installed; pure so it can be tested without QEMU.
 * Without a usable KVM (no /dev/kvm, or one whose CPU lacks vmx/svm) QEMU falls back to TCG.
 */
export function vmAvailability(found: { qemu: boolean; setpriv: boolean; kvm: boolean }): Availability {
  if (!found.qemu) return { available: false, reason: `${QEMU_BINARY} not found: ${SETUP_HINT}` };
  if (!found.setpriv) return { available: false, reason: `setpriv (util-linux) not found: ${SETUP_HINT}` };
  return { available: true, detail: found.kvm ? 'kvm' : TCG_DETAIL };
}

export class VmTarget implements Target {
  readonly kind = 'vm' as const;
  private readonly layout: RootLayout;
  private accelValue: Accel | undefined;
  private readonly sources = new Map<string, VmImageSource>();
  private readonly prepared = new Map<string, PreparedVm>();

  constructor(private readonly options: VmTargetOptions) {
    this.layout = rootLayout(options.root);
  }

  /** Quick: QEMU and setpriv present, KVM or not. The kernel is fetched by prepare(), not here. */
  async probe(): Promise<Availability> {
    const [qemu, setpriv, kvm] = await Promise.all([
      findExecutable(QEMU_BINARY),
      findExecutable('setpriv'),
      probeKvm(),
    ]);
    this.accelValue ??= kvm.usable ? 'kvm' : 'tcg';
    return vmAvailability({ qemu: qemu !== null, setpriv: setpriv !== null, kvm: kvm.usable });
  }

  accel(): Accel | undefined {
    return this.accelValue;
  }

  /** 'stock' (Debian's kernel, vm-images/default.yaml), 'minimal' (built from source), or the definition name. */
  variant(): string {
    return variantOfDefinition(this.options.definition ?? 'default');
  }

  private launchOptions(workload: WorkloadSpec): VmLaunchOptions {
    return {
      image: this.sources.get(workload.image) ?? workload.image,
      args: workload.args,
      env: Object.entries(workload.env).map(([key, value]) => `${key}=${value}`),
      memoryMiB: guestMemoryMiB(workload.vm.memoryBytes),
      cpus: workload.vm.cpus,
      machine: workload.vm.machine,
      accel: 'auto',
      network: 'none',
      ...(this.options.definition === undefined ? {} : { definition: this.options.definition }),
      ...(this.options.log === undefined ? {} : { log: this.options.log }),
    };
  }

  /**
   * Builds or finds the image, then the kernel (fetched once with apt), initramfs and base disk.
   * Slow the first time (minutes); cached under the state root afterwards.
   */
  async prepare(workload: WorkloadSpec): Promise<void> {
    await ensureImage(this.layout, workload.image, this.options.log);
    this.accelValue ??= await resolveAccel('auto');
    const source = await resolveVmImage(this.layout, workload.image);
    this.sources.set(workload.image, source);
    this.options.log?.(`preparing the VM kernel, initramfs and disk of ${workload.image}`);
    const prepared = await prepareVm(this.layout, this.launchOptions(workload));
    this.accelValue = prepared.accel;
    this.prepared.set(preparedKey(workload), prepared);
  }

  /** What prepare() cached for the workload's image and machine, prepared now if it was not (before the clock). */
  private async preparedFor(workload: WorkloadSpec): Promise<PreparedVm> {
    if (!this.prepared.has(preparedKey(workload))) await this.prepare(workload);
    return this.prepared.get(preparedKey(workload))!;
  }

  /**
   * Starts the VM without waiting for it: ready/exited follow runPreparedVm's stdout callback and
   * promise. Only the per-VM host work (dir and state file, disk overlay: phases) and QEMU are in
   * the clock; the workload's args and env are applied to the cached preparation without I/O.
   */
  async launch(workload: WorkloadSpec): Promise<Instance> {
    const prepared = forLaunch(await this.preparedFor(workload), this.launchOptions(workload));
    const name = `isobench-${randomBytes(6).toString('hex')}`;
    const abort = new AbortController();
    const reader = createReadyMarkerReader(workload.readyMarker);
    const started: VmStarted = {};
    const options: RunVmOptions = {
      ...this.launchOptions(workload),
      name,
      signal: abort.signal,
      // The overlay must outlive the exit for writableBytes(); dispose() removes the VM dir.
      keep: true,
      stdout: (chunk) => reader.feed(chunk, monotonicNs()),
      onQemuStarted: (pid, vmId) => {
        started.atNs = monotonicNs();
        started.pid = pid;
        started.vmId = vmId;
      },
      ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
    };
    const launchedAtNs = monotonicNs();
    const run = runPreparedVm(this.layout, prepared, options);
    return new VmInstance({ layout: this.layout, workload, name, abort, reader, started, run, launchedAtNs });
  }

  /** Allocated bytes of vmlinux (or bzImage) + initramfs (if any) + the image's base disk: shared by all VMs of the image. */
  async imageFootprintBytes(workload: WorkloadSpec): Promise<number> {
    const parts = await this.imageFootprintParts(workload);
    return parts.kernelBytes + parts.initramfsBytes + parts.baseDiskBytes;
  }

  /** The footprint by file: the kernel (shared by every image booting it), the initramfs, the base disk. */
  async imageFootprintParts(workload: WorkloadSpec): Promise<ImageFootprintParts> {
    const prepared = await this.preparedFor(workload);
    // No initramfs (a kernel that mounts the disk itself) counts as 0 bytes.
    const allocated = async (file: string | undefined) =>
      file === undefined ? 0 : (await measureDiskUsage([file])).allocatedBytes;
    const [kernelBytes, initramfsBytes, baseDiskBytes] = await Promise.all(
      [prepared.kernelPath, prepared.initrdPath, prepared.baseDiskPath].map(allocated),
    );
    return { kernelBytes: kernelBytes!, initramfsBytes: initramfsBytes!, baseDiskBytes: baseDiskBytes! };
  }

  async cleanup(): Promise<void> {
    // Nothing per run: every instance removes its VM dir; kernel, initramfs and disks are a cache.
  }
}

/**
 * MemorySample.guest from the probe's `meminfo` report (the guest's MemTotal and MemAvailable in
 * kB, read once the probe idles after its ready line), or the configured size while there is none.
 */
export function guestMemorySample(
  report: Record<string, number> | undefined,
  configuredBytes: number,
): NonNullable<MemorySample['guest']> {
  const totalKb = report?.total_kb;
  const availableKb = report?.available_kb;
  if (totalKb === undefined || availableKb === undefined || totalKb <= 0) return { totalBytes: configuredBytes };
  // /proc/meminfo's "kB" is KiB.
  return { usedBytes: Math.max(0, totalKb - availableKb) * 1024, totalBytes: totalKb * 1024 };
}

function preparedKey(workload: WorkloadSpec): string {
  return `${workload.image}\0${workload.vm.machine}`;
}

/** What runVm's callbacks report while the VM runs. */
interface VmStarted {
  pid?: number;
  vmId?: string;
  atNs?: bigint;
}

interface VmInstanceInit {
  layout: RootLayout;
  workload: WorkloadSpec;
  name: string;
  abort: AbortController;
  reader: ReadyMarkerReader;
  started: VmStarted;
  run: Promise<VmRunResult>;
  launchedAtNs: bigint;
}

class VmInstance implements Instance {
  readonly launchedAtNs: bigint;
  readonly ready: Promise<bigint>;
  readonly exited: Promise<InstanceExit>;
  private result: VmRunResult | undefined;
  private offsetNs: number | undefined;
  private settled = false;
  private disposing: Promise<void> | undefined;

  constructor(private readonly init: VmInstanceInit) {
    this.launchedAtNs = init.launchedAtNs;
    this.ready = init.reader.ready;
    const { reader, workload } = init;
    this.exited = init.run.then(
      (result) => {
        const doneAtNs = monotonicNs();
        this.settled = true;
        this.result = result;
        this.init.started.pid ??= result.qemuPid;
        this.init.started.vmId ??= result.id;
        // runPreparedVm's phases count from its own t0 (its start): find t0 on our clock.
        const { started } = this.init;
        const t0 =
          started.atNs !== undefined
            ? started.atNs - BigInt(result.phases.qemuStartNs)
            : doneAtNs - BigInt(result.phases.qemuExitNs); // no hook: overestimates by runVm's post-exit work
        this.offsetNs = Math.max(0, Number(t0 - this.launchedAtNs));
        // The exit marker's arrival: the host knew the status then; QEMU's exit after it is teardown.
        const atNs = this.launchedAtNs + BigInt(this.offsetNs + result.phases.exitNs);
        if (workload.readyMarker === undefined) reader.resolveAt(atNs);
        else {
          reader.end();
          reader.fail(
            new WorkloadError(
              `the VM workload exited with code ${result.exitCode} before printing the ready marker '${workload.readyMarker}'`,
            ),
          );
        }
        return { exitCode: result.exitCode, atNs };
      },
      (error: Error) => {
        this.settled = true;
        reader.end();
        reader.fail(error);
        throw error;
      },
    );
    this.exited.catch(() => undefined);
  }

  /** ns from launch: vmRecordNs, diskOverlayNs, qemuStartNs, kernelNs, initNs, readyNs, exitNs (all known once exited). */
  phases(): Record<string, number> {
    if (this.result !== undefined && this.offsetNs !== undefined) return phasesFromLaunch(this.result, this.offsetNs);
    const { atNs } = this.init.started;
    return atNs === undefined ? {} : { qemuStartNs: Number(atNs - this.launchedAtNs) };
  }

  outputLines(): string[] {
    return this.init.reader.lines();
  }

  /** QEMU's pid and the VM id: from the hook, else state.json found by the VM's unique name. */
  private async findVm(): Promise<{ pid?: number; vmId?: string }> {
    const { started, layout, name } = this.init;
    if (started.pid !== undefined && started.vmId !== undefined) return started;
    for (const id of await listVmIds(layout)) {
      const state = await readVmState(layout, id);
      if (state?.name !== name) continue;
      started.vmId ??= id;
      if (state.qemuPid !== undefined) started.pid ??= state.qemuPid;
      break;
    }
    return started;
  }

  /**
   * QEMU's PSS/USS/RSS (the whole guest as the host pays for it; pssSplit puts the mapped vmlinux
   * under file, guest RAM under anon, or shmem when memfd-backed) and the guest's own view:
   * usedBytes = MemTotal - MemAvailable, totalBytes = MemTotal, as the probe read them in the guest
   * once it idled after its ready line (so with everything it allocated; not live). Before the
   * probe reports (or for another workload), totalBytes is the configured size.
   */
  async sampleMemory(): Promise<MemorySample> {
    const { pid } = await this.findVm();
    const report = readProbeReport(this.init.reader.lines(), 'meminfo');
    const guest = guestMemorySample(report, this.init.workload.vm.memoryBytes);
    if (this.settled) {
      return { pssBytes: 0, ussBytes: 0, rssBytes: 0, pssSplit: { anonBytes: 0, fileBytes: 0, shmemBytes: 0 }, guest };
    }
    // A gap in the series rather than a zero that looks like a measurement.
    if (pid === undefined) throw new WorkloadError(`VM ${this.init.name}: QEMU's pid is not known yet`);
    return { ...memoryFiguresOf(await readProcessTreeMemory(pid)), guest };
  }

  /** Allocated bytes of this VM's qcow2 overlay (the guest's writes plus qcow2 metadata). */
  async writableBytes(): Promise<number> {
    const { vmId } = await this.findVm();
    if (vmId === undefined) return 0;
    const overlay = vmPaths(this.init.layout, vmId).overlay;
    return (await measureDiskUsage([overlay]).catch(() => ({ allocatedBytes: 0 }))).allocatedBytes;
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      if (!this.settled) this.init.abort.abort();
      await this.exited.catch(() => undefined);
      const { vmId } = await this.findVm();
      if (vmId !== undefined) await fs.rm(vmPaths(this.init.layout, vmId).dir, { recursive: true, force: true });
    })();
    return this.disposing;
  }
}
