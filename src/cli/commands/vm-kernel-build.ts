// `isobench vm kernel build [--vm-image NAME] [--json]`: build a VM definition's kernel from
// source (or find it in the shared cache) and report its release, size and build time.
import { InputError, IsobenchError } from '../../errors.js';
import { cacheLayout } from '../../paths.js';
import { isBuiltKernel, loadVmDefinition } from '../../vm/definition.js';
import { ensureBuiltKernel, kernelBuildKey, resolveDefinitionKernel } from '../../vm/kernel-build.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export interface VmKernelBuildCommandOptions {
  /** Definition in vm-images/ whose kernel.build to build; default "minimal". */
  vmImage?: string;
  json?: boolean;
}

const MIB = 1024 * 1024;

/** Builds (or finds) the kernel; prints where it is and what it cost. 0, or 130 when interrupted. */
export async function vmKernelBuildCommand(ctx: CliContext, opts: VmKernelBuildCommandOptions = {}): Promise<number> {
  const name = opts.vmImage ?? 'minimal';
  const definition = await loadVmDefinition(name);
  if (!isBuiltKernel(definition.kernel)) {
    throw new InputError(
      `vm-images/${name}.yaml boots the Debian package ${definition.kernel.package}: there is no kernel to build`,
      { hint: 'pick a definition with kernel.build, e.g. --vm-image minimal' },
    );
  }
  const cache = cacheLayout();
  const inputs = await resolveDefinitionKernel(definition.kernel);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const kernel = await ensureBuiltKernel(cache, inputs, {
      signal: controller.signal,
      log: (line) => ctx.stderr.write(`isobench: kernel ${kernelBuildKey(inputs).slice(0, 12)}: ${line}\n`),
    });
    const { meta } = kernel;
    if (opts.json) {
      ctx.stdout.write(`${JSON.stringify({ ...meta, cacheHit: kernel.cacheHit, vmlinuxPath: kernel.vmlinuxPath })}\n`);
      return 0;
    }
    const load = `load ${meta.loadAverage.start.toFixed(1)} -> ${meta.loadAverage.end.toFixed(1)}`;
    const cpu = meta.cpuMs === undefined ? '' : `, ${(meta.cpuMs / 1000).toFixed(1)} s CPU`;
    const how = kernel.cacheHit ? `cached; built ${meta.builtAt}` : 'built now';
    ctx.stdout.write(
      [
        `release   ${meta.release}`,
        `vmlinux   ${kernel.vmlinuxPath} (${(meta.vmlinuxBytes / MIB).toFixed(1)} MiB)`,
        `build     ${(meta.buildMs / 1000).toFixed(1)} s wall with make -j${meta.jobs}${cpu} (${load}; ${how})`,
        `source    ${meta.sourcePackage} ${meta.sourceVersion}, ${meta.compiler}`,
        `fragment  vm-images/${definition.kernel.build}, key ${meta.key}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (error instanceof IsobenchError && error.code === 'INTERRUPTED') return 130;
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `isobench vm kernel build`: its options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command.option('--vm-image <name>', 'definition in vm-images/', 'minimal').option('--json', 'print JSON'),
  run: vmKernelBuildCommand,
});
