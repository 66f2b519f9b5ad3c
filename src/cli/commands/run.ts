// `isobench run IMAGE [CMD...]`: start a container attached (exit code = the workload's) or
// detached (prints the id). Ctrl-C forwards SIGTERM, then kills the container and exits 130.

import { type ContainerHandle, Runtime } from '../../container/index.js';
import { WorkloadExecError } from '../../container/launch/helper-protocol.js';
import type { ResourceLimits } from '../../container/types.js';
import { parseUlimits } from '../../container/ulimit.js';
import { parseNetworkChoice } from '../../container/validate-request.js';
import {
  checkMountTargets,
  type MountRequest,
  parseMountFlag,
  parseTmpfsFlag,
  parseVolumeFlag,
} from '../../container/volumes/parse.js';
import { InputError } from '../../errors.js';
import { parseSize } from '../../util/parse-size.js';
import { collect, defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { readEnvFiles } from '../env-file.js';
import { formatErrorLine } from '../error-exit.js';
import { type InteractiveFlags, resolveInteractive } from '../interactive-flags.js';
import { parseSecurityOpts, refusePrivileged } from '../security-opts.js';

export interface RunCommandOptions extends InteractiveFlags {
  /** --init: a reaper as PID 1. */
  init?: boolean;
  /** NAME=SOFT[:HARD], repeatable. */
  ulimit?: string[];
  /** e.g. "256m" */
  shmSize?: string;
  /** e.g. "0-1,3" */
  cpusetCpus?: string;
  rm?: boolean;
  detach?: boolean;
  name?: string;
  env?: string[];
  /** Docker-format env files, read before -e (which wins). */
  envFile?: string[];
  /** Replaces the image's Entrypoint (and drops its Cmd); '' clears it. */
  entrypoint?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  /** e.g. "256m" */
  memory?: string;
  /** e.g. "1.5" */
  cpus?: string;
  pidsLimit?: string;
  /** none | host | bridge | a network's name */
  network?: string;
  /** -p `[127.0.0.1:]HOSTPORT:CPORT[/tcp|udp]` (repeatable). */
  publish?: string[];
  /** Docker's `--security-opt` values, e.g. "seccomp=unconfined". */
  securityOpt?: string[];
  /** Docker capability names (or ALL) to add to / drop from Docker's default set. */
  capAdd?: string[];
  capDrop?: string[];
  /** Refused (security-opts.ts says why). */
  privileged?: boolean;
  /** -v SOURCE:TARGET[:ro|rw] (host path or volume name). */
  volume?: string[];
  /** --mount type=bind|volume|tmpfs,source=...,target=...[,readonly] */
  mount?: string[];
  /** --tmpfs PATH[:size=...,mode=...] */
  tmpfs?: string[];
  readOnly?: boolean;
}

/** Grace between the forwarded SIGTERM and the SIGKILL after Ctrl-C, in ms. */
const INTERRUPT_GRACE_MS = 2_000;

/** Turns the --memory/--cpus/--pids-limit strings into limits. @throws InputError naming the flag. */
export function parseLimitFlags(
  opts: Pick<RunCommandOptions, 'memory' | 'cpus' | 'pidsLimit' | 'cpusetCpus'>,
): ResourceLimits {
  const limits: ResourceLimits = {};
  if (opts.cpusetCpus !== undefined) limits.cpusetCpus = opts.cpusetCpus;
  if (opts.memory !== undefined) limits.memoryBytes = parseSize(opts.memory, '--memory');
  if (opts.cpus !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(opts.cpus.trim())) {
      throw new InputError(`expected --cpus to be a number of CPUs such as 0.5 or 2, got '${opts.cpus}'`);
    }
    limits.cpus = Number(opts.cpus);
  }
  if (opts.pidsLimit !== undefined) {
    if (!/^\d+$/.test(opts.pidsLimit.trim())) {
      throw new InputError(`expected --pids-limit to be a whole number of at least 1, got '${opts.pidsLimit}'`);
    }
    limits.pidsLimit = Number(opts.pidsLimit);
  }
  return limits;
}

/** -v, --mount and --tmpfs as one list, checked (duplicate targets too) before anything runs. @throws InputError */
export function parseMountOptions(opts: Pick<RunCommandOptions, 'volume' | 'mount' | 'tmpfs'>): MountRequest[] {
  const mounts = [
    ...(opts.volume ?? []).map(parseVolumeFlag),
    ...(opts.mount ?? []).map(parseMountFlag),
    ...(opts.tmpfs ?? []).map(parseTmpfsFlag),
  ];
  checkMountTargets(mounts);
  return mounts;
}

/** "64 MiB", "1.5 MiB". */
export function formatMiB(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** Forwards Ctrl-C/SIGTERM to the container until `done`; reports whether one came. */
function forwardInterrupts(handle: ContainerHandle): { interrupted: () => boolean; dispose: () => void } {
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  const onSignal = () => {
    count++;
    if (count === 1) {
      handle.kill('SIGTERM');
      timer = setTimeout(() => handle.kill('SIGKILL'), INTERRUPT_GRACE_MS);
    } else {
      handle.kill('SIGKILL');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    interrupted: () => count > 0,
    dispose: () => {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Resolves when a piped stream has ended (or at once when there is none). */
function pipeTo(from: NodeJS.ReadableStream | undefined, to: NodeJS.WritableStream): Promise<void> {
  if (!from) return Promise.resolve();
  return new Promise((resolve) => {
    from.on('end', resolve);
    from.on('error', () => resolve());
    from.pipe(to, { end: false });
  });
}

export async function runCommand(
  ctx: CliContext,
  image: string,
  args: string[],
  opts: RunCommandOptions = {},
): Promise<number> {
  const limits = parseLimitFlags(opts);
  if (opts.privileged) refusePrivileged();
  const network = opts.network ?? 'none';
  parseNetworkChoice(network);
  const security = parseSecurityOpts(opts.securityOpt ?? []);
  const io = resolveInteractive(opts);
  const ulimits = parseUlimits(opts.ulimit ?? []);
  const shmSizeBytes = opts.shmSize === undefined ? undefined : parseSize(opts.shmSize, '--shm-size');
  const env = [...(await readEnvFiles(opts.envFile ?? [])), ...(opts.env ?? [])];
  const mounts = parseMountOptions(opts);
  const runtime = await Runtime.open(ctx.root);
  // Straight to our terminal when the context is the process's; through pipes otherwise (tests).
  const inherit = ctx.stdout === process.stdout && ctx.stderr === process.stderr;
  let handle: ContainerHandle;
  try {
    handle = await runtime.run({
      image,
      args,
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(env.length > 0 ? { env } : {}),
      ...(opts.entrypoint !== undefined ? { entrypoint: opts.entrypoint === '' ? [] : [opts.entrypoint] } : {}),
      ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
      ...(opts.user !== undefined ? { user: opts.user } : {}),
      ...(opts.hostname !== undefined ? { hostname: opts.hostname } : {}),
      limits,
      network,
      ...(opts.publish && opts.publish.length > 0 ? { publish: opts.publish } : {}),
      ...(security.seccomp ? { seccomp: security.seccomp } : {}),
      ...(io.stdin === 'inherit' ? { stdin: io.stdin } : {}),
      ...(io.tty ? { tty: true } : {}),
      ...(opts.init ? { init: true } : {}),
      ...(shmSizeBytes !== undefined ? { shmSizeBytes } : {}),
      ...(ulimits.length > 0 ? { ulimits } : {}),
      ...(security.noNewPrivileges !== undefined ? { noNewPrivileges: security.noNewPrivileges } : {}),
      ...(opts.capAdd?.length ? { capAdd: opts.capAdd } : {}),
      ...(opts.capDrop?.length ? { capDrop: opts.capDrop } : {}),
      ...(mounts.length > 0 ? { mounts } : {}),
      ...(opts.readOnly ? { readonlyRootfs: true } : {}),
      detach: opts.detach === true,
      remove: opts.rm === true,
      stdio: inherit ? 'inherit' : 'pipe',
      onWarning: (message) => ctx.stderr.write(`isobench: warning: ${message}\n`),
    });
  } catch (error) {
    // Like a shell (and docker): a command that cannot be exec'd exits 127 (not found) or 126.
    if (error instanceof WorkloadExecError) {
      ctx.stderr.write(formatErrorLine(error));
      return error.exitCode;
    }
    throw error;
  }
  if (opts.detach) {
    ctx.stdout.write(`${handle.id}\n`);
    return 0;
  }
  const interrupts = forwardInterrupts(handle);
  try {
    const [exit] = await Promise.all([
      handle.wait(),
      pipeTo(handle.stdout, ctx.stdout),
      pipeTo(handle.stderr, ctx.stderr),
    ]);
    // The CLI process ends when we return: the --rm removal must be finished by then.
    if (opts.rm) await handle.cleanup();
    if (interrupts.interrupted()) return 130;
    if (exit.reason === 'oom-killed') {
      const limit =
        limits.memoryBytes === undefined ? 'no memory limit' : `memory limit ${formatMiB(limits.memoryBytes)}`;
      ctx.stderr.write(`isobench: container killed by the OOM killer (${limit})\n`);
    }
    return exit.exitCode;
  } finally {
    interrupts.dispose();
  }
}

/** `isobench run`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .argument('<image>')
      .argument('[cmd...]', 'command and arguments (default: the image Entrypoint/Cmd)')
      .option('-i, --interactive', 'keep stdin open and pass it to the container')
      .option('-t, --tty', 'give the container a pseudo-terminal (-it: an interactive shell)')
      .option('--init', 'run a reaper as PID 1 that forwards signals and reaps orphans')
      .option('--rm', 'remove the container when it exits')
      .option('-d, --detach', 'run in the background and print its id')
      .option('--name <name>', 'container name')
      .option('-e, --env <k=v>', 'set an environment variable (repeatable)', collect, [])
      .option('--env-file <file>', 'read VAR=VALUE lines from a file, before -e (repeatable)', collect, [])
      .option('--entrypoint <cmd>', "replace the image's Entrypoint (and its Cmd); '' clears it")
      .option('-w, --workdir <dir>', 'working directory inside the container')
      .option('-u, --user <user[:group]>', 'user to run as (name or uid)')
      .option('--hostname <name>', 'hostname inside the container')
      .option('--memory <size>', 'memory limit, e.g. 256m')
      .option('--cpus <n>', 'CPU quota in cores, e.g. 1.5')
      .option('--pids-limit <n>', 'maximum number of processes')
      .option('-v, --volume <src:dst[:ro]>', 'bind a host path or mount a named volume (repeatable)', collect, [])
      .option('--mount <spec>', 'type=bind|volume|tmpfs,source=...,target=...[,readonly] (repeatable)', collect, [])
      .option('--tmpfs <path[:opts]>', 'mount a tmpfs, e.g. /run:size=64m,mode=1777 (repeatable)', collect, [])
      .option('--read-only', 'mount the rootfs read-only (/dev, /proc, /sys, tmpfs and volumes stay writable)')
      .option('--cpuset-cpus <list>', 'CPUs the container may use, e.g. 0-1 or 0,2')
      .option('--ulimit <name=soft[:hard]>', 'a resource limit, e.g. nofile=1024:2048 (repeatable)', collect, [])
      .option('--shm-size <size>', 'size of /dev/shm, e.g. 256m (default 64m)')
      .option('--network <network>', 'none (loopback only, the default), host, bridge or a network (`network create`)')
      .option(
        '-p, --publish <[ip:]hport:cport>',
        "publish a port on the host's loopback, e.g. 8080:80/tcp",
        collect,
        [],
      )
      .option(
        '--security-opt <opt>',
        'seccomp=unconfined|PROFILE.json (Docker format), no-new-privileges[=true|false] (default true); repeatable',
        collect,
        [],
      )
      .option(
        '--cap-add <cap>',
        "add a capability to Docker's default set, e.g. NET_ADMIN, or ALL (repeatable)",
        collect,
        [],
      )
      .option(
        '--cap-drop <cap>',
        "drop a capability from Docker's default set, e.g. NET_RAW, or ALL (repeatable)",
        collect,
        [],
      )
      .option('--privileged', 'refused: isobench does not run privileged containers (use --cap-add)')
      .passThroughOptions(),
  stateRoot: 'write',
  run: runCommand,
});
