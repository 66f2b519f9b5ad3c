// `isobench vm run IMAGE [CMD...]`: boot the image as a QEMU guest and run its command, attached
// (streams the workload's output, exit code = the workload's) or detached (prints the VM id).
import { Option } from 'commander';
import { InputError } from '../../errors.js';
import { ImageStore } from '../../image/store.js';
import { resolveAccel, type VmAccelRequest } from '../../vm/accel.js';
import { VM_KERNEL_VARIANTS, type VmKernelVariant, type VmMachine } from '../../vm/definition.js';
import { findNamedSnapshot, runRestoredVm, runVm, startVm } from '../../vm/index.js';
import { VM_CPUS, VM_MEMORY_MIB, validateLaunchOptions } from '../../vm/prepare.js';
import type { VmNetwork } from '../../vm/qemu-args.js';
import { runAbortable } from '../abortable.js';
import { collect, defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export interface VmRunCommandOptions {
  rm?: boolean;
  detach?: boolean;
  name?: string;
  env?: string[];
  workdir?: string;
  /** e.g. "256m", "1g", "512" (MiB). */
  memory?: string;
  /** whole vCPUs, e.g. "2". */
  cpus?: string;
  accel?: string;
  machine?: string;
  network?: string;
  /** stock (Debian's kernel, vm-images/default.yaml) or minimal (built from source, vm-images/minimal.yaml). */
  kernel?: string;
  /** auto (take or reuse the snapshot fitting this run) or a snapshot id: restore instead of boot. */
  fromSnapshot?: string;
}

const MEMORY_RANGE = `${VM_MEMORY_MIB.min}m to ${VM_MEMORY_MIB.max / 1024}g`;

/**
 * Parses --memory ("256", "256m", "1g", "512MiB") into MiB, within what a guest may have.
 * @throws InputError naming the flag and the accepted range.
 */
export function parseMemoryMiB(value: string): number {
  const match = /^(\d{1,9})\s*(m|mb|mib|g|gb|gib)?$/i.exec(value.trim());
  if (!match)
    throw new InputError(`expected --memory to be a size from ${MEMORY_RANGE} such as 256m or 1g, got '${value}'`);
  const amount = Number.parseInt(match[1]!, 10);
  const mib = (match[2] ?? 'm').toLowerCase().startsWith('g') ? amount * 1024 : amount;
  if (mib < VM_MEMORY_MIB.min || mib > VM_MEMORY_MIB.max) {
    throw new InputError(`expected --memory to be from ${MEMORY_RANGE}, got '${value}' (${mib} MiB)`);
  }
  return mib;
}

/** Parses --cpus (whole vCPUs). @throws InputError naming the flag and the accepted range. */
export function parseVcpus(value: string): number {
  const cpus = Number(value.trim());
  if (!/^\d{1,3}$/.test(value.trim()) || cpus < VM_CPUS.min || cpus > VM_CPUS.max) {
    throw new InputError(
      `expected --cpus to be a whole number of vCPUs from ${VM_CPUS.min} to ${VM_CPUS.max}, got '${value}'`,
    );
  }
  return cpus;
}

function pick<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputError(`expected ${flag} to be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

/** Runs the VM; returns the workload's exit code (attached) or 0 (detached, id printed). */
export async function vmRunCommand(
  ctx: CliContext,
  image: string,
  args: string[],
  opts: VmRunCommandOptions = {},
): Promise<number> {
  const request = pick<VmAccelRequest>('--accel', opts.accel, ['auto', 'kvm', 'tcg']) ?? 'auto';
  const accel = await resolveAccel(request);
  const machine = pick<VmMachine>('--machine', opts.machine, ['microvm', 'q35']) ?? 'microvm';
  const kernel = pick<VmKernelVariant>('--kernel', opts.kernel, ['stock', 'minimal']) ?? 'stock';
  const launch = {
    image,
    args,
    env: opts.env ?? [],
    workdir: opts.workdir,
    name: opts.name,
    memoryMiB: opts.memory === undefined ? undefined : parseMemoryMiB(opts.memory),
    cpus: opts.cpus === undefined ? undefined : parseVcpus(opts.cpus),
    accel,
    machine,
    network: pick<VmNetwork>('--network', opts.network, ['none', 'user']),
    definition: VM_KERNEL_VARIANTS[kernel],
    log: (line: string) => ctx.stderr.write(`isobench: ${line}\n`),
  };
  // Bad input is reported before the banner: the flags, then whether the image exists.
  validateLaunchOptions(launch);
  await (await ImageStore.open(ctx.root)).resolve(image);
  if (opts.detach && opts.fromSnapshot !== undefined) {
    throw new InputError('--from-snapshot runs attached only', { hint: 'drop --detach or --from-snapshot' });
  }
  if (opts.fromSnapshot !== undefined)
    await findNamedSnapshot(ctx.layout, { ...launch, fromSnapshot: opts.fromSnapshot });
  ctx.stderr.write(
    `isobench: vm ${image} accel=${accel} machine=${machine}${kernel === 'stock' ? '' : ` kernel=${kernel}`}\n`,
  );
  if (opts.fromSnapshot !== undefined) {
    const fromSnapshot = opts.fromSnapshot;
    return runAbortable(async (signal) => {
      const result = await runRestoredVm(ctx.layout, {
        ...launch,
        fromSnapshot,
        keep: opts.rm !== true,
        signal,
        stdout: (chunk) => ctx.stdout.write(chunk),
      });
      return result.exitCode;
    });
  }
  if (opts.detach) {
    const state = await startVm(ctx.layout, { ...launch, autoRemove: opts.rm === true });
    ctx.stdout.write(`${state.id}\n`);
    return 0;
  }
  return runAbortable(async (signal) => {
    const result = await runVm(ctx.layout, {
      ...launch,
      keep: opts.rm !== true,
      signal,
      stdout: (chunk) => ctx.stdout.write(chunk),
    });
    return result.exitCode;
  });
}

/** `isobench vm run`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .argument('<image>')
      .argument('[cmd...]')
      .option('--rm', 'remove the VM when it exits')
      .option('-d, --detach', 'run in the background')
      .option('--name <name>', 'VM name')
      .option('-e, --env <k=v>', 'set an environment variable (repeatable)', collect, [])
      .option('-w, --workdir <dir>', 'working directory inside the guest')
      .option('--memory <size>', 'guest memory, e.g. 256m', '256m')
      .option('--cpus <n>', 'vCPUs', '1')
      .addOption(new Option('--accel <accel>', 'accelerator').choices(['auto', 'kvm', 'tcg']).default('auto'))
      .addOption(new Option('--machine <type>', 'machine type').choices(['microvm', 'q35']).default('microvm'))
      .addOption(new Option('--network <mode>', 'guest network').choices(['none', 'user']).default('none'))
      .addOption(new Option('--kernel <variant>', 'guest kernel').choices(['stock', 'minimal']).default('stock'))
      .option('--from-snapshot <id|auto>', 'restore a saved guest instead of booting (auto: take or reuse one)')
      .passThroughOptions(),
  stateRoot: 'write',
  run: vmRunCommand,
});
