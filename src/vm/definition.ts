// Guest definitions (vm-images/<name>.yaml): which kernel, command line, machine, memory, vCPUs
// and modules a VM boots with. Validated here at the edge; everything downstream trusts it.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { InputError, NotFoundError } from '../errors.js';
import { packageDir } from '../paths.js';

/** QEMU machine types the VM target supports. */
export type VmMachine = 'microvm' | 'q35';

const moduleName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a module name like virtio_blk');
// Only characters that survive the kernel command line parser unquoted.
const cmdlineParam = z.string().regex(/^[A-Za-z0-9_.,:=/+-]{1,200}$/, 'expected one kernel parameter without spaces');

/** Debian package holding a stock kernel; its drivers are modules loaded from the initramfs. */
const packageName = z.string().regex(/^[a-z0-9][a-z0-9.+-]{1,100}$/, 'expected a Debian package name');
/** A Kconfig fragment file in vm-images/ (a bare name: definitions are input, paths are not trusted). */
const fragmentName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{0,63}\.config$/, 'expected a fragment file name in vm-images/ like minimal.config');
const sourcePackage = z
  .string()
  .regex(/^linux-source-[0-9]+\.[0-9]+$/, 'expected a Debian kernel source package like linux-source-6.1');

/** The guest kernel: a stock Debian kernel package, or one built from source with a fragment. */
export type VmKernelSpec =
  | {
      /** Debian (meta-)package holding the kernel, e.g. linux-image-amd64. */
      package: string;
    }
  | {
      /** Kconfig fragment in vm-images/, applied on top of `make allnoconfig` (src/vm/kernel-build.ts). */
      build: string;
      /** Debian package with the kernel source tarball, e.g. linux-source-6.1. */
      source: string;
    };

const kernelSchema = z
  .strictObject({ package: packageName.optional(), build: fragmentName.optional(), source: sourcePackage.optional() })
  .superRefine((kernel, ctx) => {
    if ((kernel.package === undefined) === (kernel.build === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['package'],
        message: 'expected either kernel.package (a Debian kernel package) or kernel.build (a Kconfig fragment)',
      });
    } else if (kernel.build !== undefined && kernel.source === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message: 'a built kernel needs its source package, e.g. linux-source-6.1',
      });
    } else if (kernel.package !== undefined && kernel.source !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'source goes with kernel.build, not kernel.package' });
    }
  })
  .transform(
    (kernel): VmKernelSpec =>
      kernel.build === undefined ? { package: kernel.package! } : { build: kernel.build, source: kernel.source! },
  );

const definitionSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a lower-case name'),
    kernel: kernelSchema,
    cmdline: z.array(cmdlineParam).max(64),
    machine: z.enum(['microvm', 'q35']),
    memoryMiB: z.number().int().min(64).max(65536),
    cpus: z.number().int().min(1).max(64),
    /** Modules the initramfs loads (package kernels only). */
    modules: z.array(moduleName).max(64).default([]),
    initramfsCompression: z.enum(['none', 'gzip']).default('none'),
  })
  .superRefine((definition, ctx) => {
    if ('build' in definition.kernel && definition.modules.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['modules'],
        message: 'a kernel built from a fragment has its drivers built in and no initramfs: remove modules',
      });
    }
  });

/**
 * A validated guest definition.
 * Why the default command line (vm-images/default.yaml) holds what it holds:
 * console=ttyS0 (the only console microvm has), quiet loglevel=0 (keep the serial line for the
 * workload), panic=-1 (a panic reboots at once, and -no-reboot turns that into a QEMU exit),
 * 8250.nr_uarts=1 and i8042.* (skip probing ports that do not exist), cryptomgr.notests and
 * no_timer_check (skip self-tests), tsc=reliable (no clocksource watchdog), random.trust_cpu=on
 * (no entropy wait), audit=0 lsm= mitigations=off (less init work; the guest is disposable).
 */
export type VmDefinition = z.infer<typeof definitionSchema>;

function formatIssue(file: string, issue: z.core.$ZodIssue): string {
  const field = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.');
  return `${file}: field '${field}': ${issue.message}`;
}

/** Validates a parsed definition; errors name `file` and the field. Pure. */
export function parseVmDefinition(file: string, value: unknown): VmDefinition {
  const result = definitionSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => formatIssue(file, issue));
    throw new InputError(issues.join('; '), { hint: `fix ${file} (see src/vm/definition.ts for the fields)` });
  }
  return result.data;
}

/** Reads and validates a definition file (YAML). */
export async function loadVmDefinitionFile(file: string): Promise<VmDefinition> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`VM definition ${file} not found`, { hint: 'list vm-images/ for the known guests' });
    }
    throw error;
  }
  let value: unknown;
  try {
    value = YAML.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  return parseVmDefinition(file, value);
}

/** Loads vm-images/<name>.yaml from the package directory. */
export async function loadVmDefinition(name = 'default'): Promise<VmDefinition> {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) {
    throw new InputError(`expected a VM definition name like 'default', got '${name}'`);
  }
  return loadVmDefinitionFile(path.join(packageDir(), 'vm-images', `${name}.yaml`));
}

/**
 * The VM variants as reports name them ("VM, stock kernel", "VM, minimal kernel") and the
 * definition in vm-images/ each one boots.
 */
export const VM_KERNEL_VARIANTS = { stock: 'default', minimal: 'minimal' } as const;

/** A VM variant: which kernel the guest boots. */
export type VmKernelVariant = keyof typeof VM_KERNEL_VARIANTS;

/** The variant a definition is (its name for definitions outside the table). Pure. */
export function variantOfDefinition(definitionName: string): string {
  const entry = Object.entries(VM_KERNEL_VARIANTS).find(([, name]) => name === definitionName);
  return entry ? entry[0] : definitionName;
}

/** True when the definition's kernel is built from source: it boots from the disk, without an initramfs. */
export function isBuiltKernel(kernel: VmKernelSpec): kernel is Extract<VmKernelSpec, { build: string }> {
  return 'build' in kernel;
}

/** The path of a definition's Kconfig fragment (a bare file name in vm-images/). */
export function fragmentPath(kernel: Extract<VmKernelSpec, { build: string }>): string {
  return path.join(packageDir(), 'vm-images', kernel.build);
}

/** The bus driver module a machine's virtio devices sit on. */
export function busModuleFor(machine: VmMachine): string {
  return machine === 'microvm' ? 'virtio_mmio' : 'virtio_pci';
}
