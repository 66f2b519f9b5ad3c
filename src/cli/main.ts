#!/usr/bin/env node
// isobench CLI entry: parses argv with commander, loads each command lazily (start-up cost
// matters: the CLI path is measured too), and maps typed errors to exit codes.
import { Command, Option } from 'commander';
import { EXIT_STATUS, IsobenchError } from '../errors.js';
import { resolveRoot } from '../paths.js';
import { type CliContext, makeCliContext } from './context.js';
import { readVersion } from './version.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Runs one command action with a context and turns its result into the process exit code. */
function action<A extends unknown[]>(
  program: Command,
  fn: (ctx: CliContext, ...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const ctx = makeCliContext(resolveRoot(program.opts<{ root?: string }>().root));
    process.exitCode = await fn(ctx, ...args);
  };
}

function buildProgram(): Command {
  const program = new Command('isobench')
    .description('Measure what a container saves over a VM and costs over native: startup, memory, disk.')
    .version(readVersion())
    .option('--root <dir>', 'state directory (images, containers, VM artifacts); env ISOBENCH_ROOT', undefined)
    .enablePositionalOptions()
    .showHelpAfterError();

  const image = program.command('image').description('build, list, inspect, remove, import and export images');
  image
    .command('build')
    .description('build an image from a Containerfile/Dockerfile in CONTEXT')
    .argument('<context>', 'build context directory')
    .requiredOption('-t, --tag <name[:tag]>', 'name of the image')
    .option('-f, --file <file>', 'recipe file (default: CONTEXT/Containerfile or Dockerfile)')
    .option('--build-arg <k=v>', 'set a build ARG (repeatable)', collect, [])
    .option('--no-cache', 'do not use the build cache')
    .option('-q, --quiet', 'print only the image digest')
    .action(
      action(program, async (ctx, context: string, opts: Record<string, unknown>) => {
        const { imageBuildCommand } = await import('./commands/image-build.js');
        return imageBuildCommand(ctx, context, {
          tag: opts.tag as string,
          file: opts.file as string | undefined,
          buildArg: opts.buildArg as string[],
          noCache: opts.cache === false,
          quiet: Boolean(opts.quiet),
        });
      }),
    );
  image
    .command('ls')
    .description('list images with their size, shared and unique bytes')
    .option('--json', 'print JSON')
    .action(
      action(program, async (ctx, opts: { json?: boolean }) => {
        const { imageLsCommand } = await import('./commands/image-ls.js');
        return imageLsCommand(ctx, opts);
      }),
    );
  image
    .command('inspect')
    .argument('<image>')
    .description('print an image as JSON')
    .action(
      action(program, async (ctx, ref: string) => {
        const { imageInspectCommand } = await import('./commands/image-inspect.js');
        return imageInspectCommand(ctx, ref);
      }),
    );
  image
    .command('rm')
    .argument('<images...>')
    .description('remove images (refused while a container uses one)')
    .action(
      action(program, async (ctx, refs: string[]) => {
        const [{ imageRmCommand }, { Runtime }] = await Promise.all([
          import('./commands/image-rm.js'),
          import('../container/runtime.js'),
        ]);
        const runtime = await Runtime.open(ctx.root);
        return imageRmCommand(ctx, refs, { isInUse: (img) => runtime.isImageInUse(img) });
      }),
    );
  image
    .command('import')
    .argument('<archive>', 'OCI archive, or a docker save tar')
    .option('-t, --tag <name[:tag]>', 'name to give the imported image')
    .description('import an OCI archive or a docker save tar')
    .action(
      action(program, async (ctx, file: string, opts: { tag?: string }) => {
        const { imageImportCommand } = await import('./commands/image-import.js');
        return imageImportCommand(ctx, file, { ref: opts.tag });
      }),
    );
  image
    .command('export')
    .argument('<image>')
    .argument('<archive>', 'OCI archive to write')
    .description('export an image as an OCI archive')
    .action(
      action(program, async (ctx, ref: string, file: string) => {
        const { imageExportCommand } = await import('./commands/image-export.js');
        return imageExportCommand(ctx, ref, file);
      }),
    );

  program
    .command('run')
    .description('run a container from IMAGE')
    .argument('<image>')
    .argument('[cmd...]', 'command and arguments (default: the image Entrypoint/Cmd)')
    .option('--rm', 'remove the container when it exits')
    .option('-d, --detach', 'run in the background and print its id')
    .option('--name <name>', 'container name')
    .option('-e, --env <k=v>', 'set an environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user to run as (name or uid)')
    .option('--hostname <name>', 'hostname inside the container')
    .option('--memory <size>', 'memory limit, e.g. 256m')
    .option('--cpus <n>', 'CPU quota in cores, e.g. 1.5')
    .option('--pids-limit <n>', 'maximum number of processes')
    .addOption(new Option('--network <mode>', 'network: none (loopback only) or host').choices(['none', 'host']))
    .passThroughOptions()
    .action(
      action(program, async (ctx, img: string, cmd: string[], opts: Record<string, unknown>) => {
        const { runCommand } = await import('./commands/run.js');
        return runCommand(ctx, img, cmd, opts);
      }),
    );
  program
    .command('ps')
    .description('list containers (running; -a for all)')
    .option('-a, --all', 'show stopped containers too')
    .option('--json', 'print JSON')
    .action(
      action(program, async (ctx, opts: { all?: boolean; json?: boolean }) => {
        const { psCommand } = await import('./commands/ps.js');
        return psCommand(ctx, opts);
      }),
    );
  program
    .command('logs')
    .argument('<container>')
    .description("print a container's stdout and stderr")
    .option('-f, --follow', 'keep printing until the container exits')
    .action(
      action(program, async (ctx, name: string, opts: { follow?: boolean }) => {
        const { logsCommand } = await import('./commands/logs.js');
        return logsCommand(ctx, name, opts);
      }),
    );
  program
    .command('exec')
    .argument('<container>')
    .argument('<cmd...>')
    .description('run a command in a running container')
    .option('-e, --env <k=v>', 'set an environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user[:group]>', 'user to run as')
    .passThroughOptions()
    .action(
      action(program, async (ctx, name: string, cmd: string[], opts: Record<string, unknown>) => {
        const { execCommand } = await import('./commands/exec.js');
        return execCommand(ctx, name, cmd, opts);
      }),
    );
  program
    .command('stop')
    .argument('<containers...>')
    .description('stop containers: SIGTERM, then SIGKILL after --time seconds')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', '10')
    .action(
      action(program, async (ctx, names: string[], opts: { time: string }) => {
        const { stopCommand } = await import('./commands/stop.js');
        return stopCommand(ctx, names, opts);
      }),
    );
  program
    .command('kill')
    .argument('<containers...>')
    .description('send a signal to containers (default SIGKILL)')
    .option('-s, --signal <signal>', 'signal name or number', 'SIGKILL')
    .action(
      action(program, async (ctx, names: string[], opts: { signal: string }) => {
        const { killCommand } = await import('./commands/kill.js');
        return killCommand(ctx, names, opts);
      }),
    );
  program
    .command('rm')
    .argument('<containers...>')
    .description('remove containers (-f kills running ones first)')
    .option('-f, --force', 'kill a running container before removing it')
    .action(
      action(program, async (ctx, names: string[], opts: { force?: boolean }) => {
        const { rmCommand } = await import('./commands/rm.js');
        return rmCommand(ctx, names, opts);
      }),
    );
  program
    .command('inspect')
    .argument('<container>')
    .description('print a container as JSON')
    .action(
      action(program, async (ctx, name: string) => {
        const { inspectCommand } = await import('./commands/inspect.js');
        return inspectCommand(ctx, name);
      }),
    );
  program
    .command('gc')
    .description('clean up what crashes and killed CLIs left: processes, cgroups, temp dirs, VM leftovers')
    .action(
      action(program, async (ctx) => {
        const { gcCommand } = await import('./commands/gc.js');
        return gcCommand(ctx);
      }),
    );

  registerVmCommands(program);
  registerSuiteCommands(program);

  return program;
}

function registerSuiteCommands(program: Command): void {
  const suite = program.command('suite').description('run scenarios on every target and record the results');
  suite
    .command('run')
    .description('run scenarios (names under scenarios/ or YAML paths; default: default)')
    .argument('[scenarios...]')
    .option('--targets <list>', 'comma-separated targets: native,container,vm,runc,crun,podman')
    .option('--iterations <n>', 'recorded iterations per target and point (overrides the scenario)')
    .option('--out <dir>', 'run directory (default results/<run id>)')
    .option('--no-report', 'do not write the report')
    .action(
      action(program, async (ctx, names: string[], opts: Record<string, unknown>) => {
        const { suiteRunCommand } = await import('./commands/suite-run.js');
        return suiteRunCommand(ctx, names, opts);
      }),
    );
  program
    .command('doctor')
    .description('what this host can run, with the fix for each missing piece')
    .option('--json', 'print JSON')
    .action(
      action(program, async (ctx, opts: { json?: boolean }) => {
        const { doctorCommand } = await import('./commands/doctor.js');
        return doctorCommand(ctx, opts);
      }),
    );
  program
    .command('report')
    .description('write report.md, report.html, CSVs and charts for one or more runs')
    .argument('<runs...>', 'run directories or run.json files')
    .option('--out <dir>', 'report directory (default: <first run>/report)')
    .action(
      action(program, async (ctx, runs: string[], opts: { out?: string }) => {
        const { reportCommand } = await import('./commands/report.js');
        return reportCommand(ctx, runs, opts);
      }),
    );
  program
    .command('compare')
    .description('compare two runs; exit 1 on a statistically real regression')
    .argument('<baseline>', "baseline run directory or run.json, or 'history' with --against history")
    .argument('[candidate]', 'candidate run directory or run.json')
    .option('--threshold <pct>', 'relative change that counts, e.g. 5%', '5%')
    .addOption(new Option('--format <format>', 'output format').choices(['md', 'json', 'junit']).default('md'))
    .addOption(new Option('--against <source>', 'take the baseline from the history database').choices(['history']))
    .option('--last <n>', 'with --against history: how many past runs form the baseline', '5')
    .option('-o, --output <file>', 'write the comparison to a file too')
    .action(
      action(program, async (ctx, baseline: string, candidate: string | undefined, opts: Record<string, unknown>) => {
        const { compareCommand } = await import('./commands/compare.js');
        return compareCommand(ctx, baseline, candidate as string, opts);
      }),
    );
  program
    .command('history')
    .description('print (and chart) the trend of a metric over recorded runs')
    .option('--scenario <name>')
    .option('--metric <name>')
    .option('--target <kind>')
    .option('--limit <n>', 'runs to show', '20')
    .option('--chart <file>', 'write a PNG or SVG trend chart')
    .option('--add <run>', 'append a run directory to the history')
    .option('--json', 'print JSON')
    .action(
      action(program, async (ctx, opts: Record<string, unknown>) => {
        const { historyCommand } = await import('./commands/history.js');
        return historyCommand(ctx, opts);
      }),
    );
}

function registerVmCommands(program: Command): void {
  const vm = program.command('vm').description('run images as QEMU guests with their own kernel');
  vm.command('run')
    .description('boot IMAGE as a VM and run its command')
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
    .passThroughOptions()
    .action(
      action(program, async (ctx, img: string, cmd: string[], opts: Record<string, unknown>) => {
        const { vmRunCommand } = await import('./commands/vm-run.js');
        return vmRunCommand(ctx, img, cmd, opts);
      }),
    );
  vm.command('kernel')
    .description('guest kernels built from source')
    .command('build')
    .description("build a VM definition's kernel (cached by content in ISOBENCH_CACHE)")
    .option('--vm-image <name>', 'definition in vm-images/', 'minimal')
    .option('--json', 'print JSON')
    .action(
      action(program, async (ctx, opts: Record<string, unknown>) => {
        const { vmKernelBuildCommand } = await import('./commands/vm-kernel-build.js');
        return vmKernelBuildCommand(ctx, opts);
      }),
    );
  vm.command('ps')
    .description('list VMs')
    .option('-a, --all', 'show stopped VMs too')
    .option('--json', 'print JSON')
    .action(
      action(program, async (ctx, opts: Record<string, unknown>) => {
        const { vmPsCommand } = await import('./commands/vm-ps.js');
        return vmPsCommand(ctx, opts);
      }),
    );
  vm.command('stop')
    .argument('<vms...>')
    .description('stop VMs')
    .action(
      action(program, async (ctx, names: string[]) => {
        const { vmStopCommand } = await import('./commands/vm-stop.js');
        return vmStopCommand(ctx, names);
      }),
    );
  vm.command('rm')
    .argument('<vms...>')
    .option('-f, --force', 'stop a running VM first')
    .description('remove VMs')
    .action(
      action(program, async (ctx, names: string[], opts: { force?: boolean }) => {
        const { vmRmCommand } = await import('./commands/vm-rm.js');
        return vmRmCommand(ctx, names, opts);
      }),
    );
}

/** Prints a typed error as `isobench: message` plus its hint, and returns the exit status. */
function reportError(error: unknown): number {
  if (error instanceof IsobenchError) {
    process.stderr.write(`isobench: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    if (process.env.ISOBENCH_DEBUG && error.cause) process.stderr.write(`  cause: ${String(error.cause)}\n`);
    return EXIT_STATUS[error.code];
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `isobench: internal error: ${text}\n  hint: this is a bug in isobench; please report it with the command you ran\n`,
  );
  return EXIT_STATUS.INTERNAL;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.exitCode = reportError(error);
  });
