// Builds a guest kernel from Debian's linux-source package and a Kconfig fragment, and keeps it
// in the cache shared by every state root, keyed by content: the fragment's settings, the source
// package version, the compiler and linker versions. One builder per key at a time (a lock); an
// entry appears by rename only when complete, so a killed build leaves no half entry.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError, InputError, IntegrityError, IsobenchError, NotFoundError } from '../errors.js';
import { type CacheLayout, cacheLayout } from '../paths.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { withLock } from '../util/lock.js';
import { isProcessAlive, readChildrenCpuMs } from '../util/process.js';
import { fragmentPath, type VmKernelSpec } from './definition.js';
import {
  canonicalFragment,
  findConfigMismatches,
  type KconfigSetting,
  parseDotConfig,
  parseKconfigFragment,
} from './kernel-fragment.js';
import { sha256File } from './kernel-package.js';
import { runTool, SETUP_HINT } from './tools.js';
import { isElf } from './vmlinux.js';

/** Bump when the build recipe below changes in a way the key's inputs do not capture. */
const BUILD_FORMAT_VERSION = 1;

/** Everything that decides the built kernel's bytes. */
export interface KernelBuildInputs {
  /** The fragment as given (for error messages). */
  fragmentFile: string;
  settings: KconfigSetting[];
  /** Debian source package, e.g. linux-source-6.1. */
  sourcePackage: string;
  /** Its installed version, e.g. 6.1.192-3. */
  sourceVersion: string;
  /** The source tarball the package installs. */
  tarball: string;
  /** First line of `gcc --version`. */
  compiler: string;
  /** First line of `ld --version`. */
  linker: string;
}

/** build.json of a cache entry. */
export interface BuiltKernelMeta {
  key: string;
  /** `uname -r` in the guest: <version>-isobench-<key prefix>. */
  release: string;
  sourcePackage: string;
  sourceVersion: string;
  compiler: string;
  linker: string;
  /** The canonical fragment that was built (sorted CONFIG_ lines). */
  fragment: string;
  /** Wall time of the build (extract, configure, compile, strip), ms. */
  buildMs: number;
  /**
   * CPU time (user + system) of the build's processes, ms: unlike buildMs it does not grow with
   * other load, so cpuMs / jobs estimates the wall time on a quiet machine with that many CPUs.
   */
  cpuMs?: number;
  /** make -j value used. */
  jobs: number;
  /** Host 1-min load average when the build started and ended: other work slows a build. */
  loadAverage: { start: number; end: number };
  vmlinuxBytes: number;
  vmlinuxSha256: string;
  builtAt: string;
}

/** A built kernel in the cache. */
export interface BuiltKernel {
  meta: BuiltKernelMeta;
  /** Uncompressed ELF with a PVH entry note: QEMU `-kernel` on microvm and q35. */
  vmlinuxPath: string;
  /** The full .config it was built with. */
  configPath: string;
  dir: string;
  /** True when this call found the kernel in the cache (no build ran). */
  cacheHit: boolean;
}

/** What a builder gets: an empty work dir and the canonical fragment to build. */
export interface KernelBuildJob {
  inputs: KernelBuildInputs;
  key: string;
  workDir: string;
  jobs: number;
  signal?: AbortSignal;
  log: (line: string) => void;
}

/** What a builder leaves in its work dir. */
export interface KernelBuildOutput {
  vmlinuxPath: string;
  configPath: string;
  release: string;
}

/** Builds one kernel; the default runs tar and make. Tests inject a fake to exercise cache and locks. */
export type KernelBuilder = (job: KernelBuildJob) => Promise<KernelBuildOutput>;

/** The content key: sha256 (hex) of every input that decides the kernel's bytes. Pure. */
export function kernelBuildKey(inputs: Omit<KernelBuildInputs, 'fragmentFile' | 'tarball'>): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        format: BUILD_FORMAT_VERSION,
        fragment: canonicalFragment(inputs.settings),
        sourcePackage: inputs.sourcePackage,
        sourceVersion: inputs.sourceVersion,
        compiler: inputs.compiler,
        linker: inputs.linker,
      }),
    )
    .digest('hex');
}

/** The LOCALVERSION make appends: the release names isobench and the build it came from. Pure. */
export function localVersionFor(key: string): string {
  return `-isobench-${key.slice(0, 12)}`;
}

async function firstLineOf(tool: string): Promise<string> {
  const result = await runTool(tool, ['--version']);
  return result.stdout.split('\n')[0]!.trim();
}

/** Installed version of a Debian package, or an EnvironmentError naming the set-up. */
async function installedVersion(pkg: string): Promise<string> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${Field} format, not a JS template.
  const result = await runTool('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg], { check: false });
  const [status, version] = result.stdout.split('\t');
  if (result.exitCode !== 0 || status !== 'install ok installed' || !version) {
    throw new EnvironmentError(`${pkg} is not installed: the minimal guest kernel is built from its source`, {
      hint: SETUP_HINT,
    });
  }
  return version;
}

/** The toolchain part of the inputs: the same for every build from one source package. */
type Toolchain = Pick<KernelBuildInputs, 'sourceVersion' | 'tarball' | 'compiler' | 'linker'>;

// Memoized per process: a VM launch resolves its kernel every time, and three tool spawns in
// each launch would count against the minimal variant's host preparation time.
const toolchains = new Map<string, Promise<Toolchain>>();

async function readToolchain(sourcePackage: string): Promise<Toolchain> {
  const sourceVersion = await installedVersion(sourcePackage);
  const tarball = `/usr/src/${sourcePackage}.tar.xz`;
  await fs.access(tarball).catch(() => {
    throw new EnvironmentError(`${tarball} is missing although ${sourcePackage} is installed`, {
      hint: `reinstall it: apt-get install --reinstall ${sourcePackage}`,
    });
  });
  const [compiler, linker] = await Promise.all([firstLineOf('gcc'), firstLineOf('ld')]);
  return { sourceVersion, tarball, compiler, linker };
}

/** Reads what a build of `settings` from `sourcePackage` would depend on here (no build). */
export async function resolveKernelBuildInputs(
  fragmentFile: string,
  settings: KconfigSetting[],
  sourcePackage: string,
): Promise<KernelBuildInputs> {
  let toolchain = toolchains.get(sourcePackage);
  if (!toolchain) {
    toolchain = readToolchain(sourcePackage);
    toolchains.set(sourcePackage, toolchain);
    // A failure (package not installed yet) is not remembered: set-up may fix it meanwhile.
    toolchain.catch(() => toolchains.delete(sourcePackage));
  }
  return { fragmentFile, settings, sourcePackage, ...(await toolchain) };
}

/** Reads and validates a definition's fragment, then what building it here depends on (no build). */
export async function resolveDefinitionKernel(
  spec: Extract<VmKernelSpec, { build: string }>,
): Promise<KernelBuildInputs> {
  const file = fragmentPath(spec);
  const shown = `vm-images/${spec.build}`;
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`kernel fragment ${shown} not found`, { hint: 'fix kernel.build in the VM definition' });
    }
    throw error;
  }
  return resolveKernelBuildInputs(shown, parseKconfigFragment(shown, text), spec.source);
}

/** Options of {@link ensureBuiltKernel}. */
export interface EnsureBuiltKernelOptions {
  /** make -j; default the CPUs this process may use. */
  jobs?: number;
  signal?: AbortSignal;
  /** Progress lines (build start, phases); default nowhere. */
  log?: (line: string) => void;
  /** Replaces tar + make (tests). */
  builder?: KernelBuilder;
  /** How long to wait for another process building the same key, ms; default 2 h. */
  lockTimeoutMs?: number;
}

/** The built kernel of a definition, from the shared cache (ISOBENCH_CACHE), built on first use. */
export async function ensureDefinitionKernel(
  spec: Extract<VmKernelSpec, { build: string }>,
  options: EnsureBuiltKernelOptions & { cache?: CacheLayout } = {},
): Promise<BuiltKernel> {
  return ensureBuiltKernel(options.cache ?? cacheLayout(), await resolveDefinitionKernel(spec), options);
}

/** Temp dirs of kernel builds are named <prefix><pid>-<random>: the pid says who owns them. */
export const KERNEL_BUILD_TEMP_PREFIXES = ['kernel-build-', 'kernel-publish-'];

/** Removes build temp dirs whose owner died (killed builds); returns their names. */
export async function sweepStaleKernelBuilds(cache: CacheLayout): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await fs.readdir(cache.tmp).catch(() => [] as string[])) {
    const prefix = KERNEL_BUILD_TEMP_PREFIXES.find((p) => entry.startsWith(p));
    if (!prefix) continue;
    const pid = Number.parseInt(entry.slice(prefix.length), 10);
    if (Number.isFinite(pid) && isProcessAlive(pid)) continue;
    await fs.rm(path.join(cache.tmp, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}

/** The cache entry for `key` if it is complete and intact, else undefined. */
export async function readCachedKernel(cache: CacheLayout, key: string): Promise<BuiltKernel | undefined> {
  const dir = path.join(cache.kernels, key);
  let meta: BuiltKernelMeta;
  try {
    meta = JSON.parse(await fs.readFile(path.join(dir, 'build.json'), 'utf8')) as BuiltKernelMeta;
  } catch {
    return undefined;
  }
  const vmlinuxPath = path.join(dir, 'vmlinux');
  const stat = await fs.stat(vmlinuxPath).catch(() => undefined);
  if (meta.key !== key || !stat || stat.size !== meta.vmlinuxBytes) return undefined;
  return { meta, vmlinuxPath, configPath: path.join(dir, 'config'), dir, cacheHit: true };
}

/**
 * Returns the kernel for `inputs` from the cache, building it first when it is missing (minutes).
 * Safe to call concurrently from any number of processes and state roots: one builds, the others
 * wait for the lock and then find the entry.
 */
export async function ensureBuiltKernel(
  cache: CacheLayout,
  inputs: KernelBuildInputs,
  options: EnsureBuiltKernelOptions = {},
): Promise<BuiltKernel> {
  const key = kernelBuildKey(inputs);
  const cached = await readCachedKernel(cache, key);
  if (cached) return cached;
  const log = options.log ?? (() => undefined);
  return withLock(
    cache.locks,
    `kernel-${key.slice(0, 16)}`,
    async () => {
      const again = await readCachedKernel(cache, key);
      if (again) return again;
      await fs.mkdir(cache.tmp, { recursive: true });
      await sweepStaleKernelBuilds(cache);
      return buildAndPublish(cache, inputs, key, options, log);
    },
    options.lockTimeoutMs ?? 7_200_000,
  );
}

async function buildAndPublish(
  cache: CacheLayout,
  inputs: KernelBuildInputs,
  key: string,
  options: EnsureBuiltKernelOptions,
  log: (line: string) => void,
): Promise<BuiltKernel> {
  const jobs = options.jobs ?? os.availableParallelism();
  const workDir = await fs.mkdtemp(path.join(cache.tmp, `kernel-build-${process.pid}-`));
  const stage = await fs.mkdtemp(path.join(cache.tmp, `kernel-publish-${process.pid}-`));
  try {
    const loadStart = os.loadavg()[0]!;
    const cpuStart = readChildrenCpuMs();
    const t0 = process.hrtime.bigint();
    const builder = options.builder ?? buildWithMake;
    const out = await builder({ inputs, key, workDir, jobs, signal: options.signal, log });
    const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpuEnd = readChildrenCpuMs();
    const head = Buffer.alloc(4);
    const handle = await fs.open(out.vmlinuxPath, 'r');
    await handle.read(head, 0, 4, 0).finally(() => handle.close());
    if (!isElf(head)) throw new IntegrityError(`the kernel build produced no ELF vmlinux (${out.vmlinuxPath})`);
    await fs.rename(out.vmlinuxPath, path.join(stage, 'vmlinux'));
    await fs.copyFile(out.configPath, path.join(stage, 'config'));
    const stat = await fs.stat(path.join(stage, 'vmlinux'));
    const meta: BuiltKernelMeta = {
      key,
      release: out.release,
      sourcePackage: inputs.sourcePackage,
      sourceVersion: inputs.sourceVersion,
      compiler: inputs.compiler,
      linker: inputs.linker,
      fragment: canonicalFragment(inputs.settings),
      buildMs: Math.round(buildMs),
      ...(cpuStart === undefined || cpuEnd === undefined ? {} : { cpuMs: Math.round(cpuEnd - cpuStart) }),
      jobs,
      loadAverage: { start: loadStart, end: os.loadavg()[0]! },
      vmlinuxBytes: stat.size,
      vmlinuxSha256: await sha256File(path.join(stage, 'vmlinux')),
      builtAt: new Date().toISOString(),
    };
    // build.json last inside the stage; the entry becomes visible only by the rename below.
    await writeJsonAtomic(path.join(stage, 'build.json'), meta);
    // mkdtemp made it 0700; the entry is read by every state root's VMs.
    await fs.chmod(stage, 0o755);
    const dir = path.join(cache.kernels, key);
    await fs.mkdir(cache.kernels, { recursive: true });
    // An entry that failed readCachedKernel (truncated by hand, say) is replaced.
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(stage, dir);
    return { meta, vmlinuxPath: path.join(dir, 'vmlinux'), configPath: path.join(dir, 'config'), dir, cacheHit: false };
  } finally {
    await Promise.all([
      fs.rm(workDir, { recursive: true, force: true }),
      fs.rm(stage, { recursive: true, force: true }),
    ]);
  }
}

/** The lines of a build log worth showing when a step fails. */
async function logTail(file: string, lines = 25): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Runs one build step in its own process group, output appended to `logFile`. setpriv ties it to
 * us (--pdeathsig: a killed CLI takes make down); an abort kills the whole group (make's gcc too).
 */
async function runStep(
  file: string,
  args: string[],
  options: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<void> {
  options.signal?.throwIfAborted();
  const log = await fs.open(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', file, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
  } finally {
    await log.close();
  }
  const killGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  options.signal?.addEventListener('abort', killGroup, { once: true });
  const exit = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
  });
  options.signal?.removeEventListener('abort', killGroup);
  if (options.signal?.aborted) throw new IsobenchError('INTERRUPTED', `kernel build interrupted: ${file} killed`);
  if (exit.error) {
    if ((exit.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EnvironmentError('setpriv (util-linux) not found: the kernel build needs it', { hint: SETUP_HINT });
    }
    throw exit.error;
  }
  if (exit.code !== 0) {
    throw new EnvironmentError(
      `kernel build step '${file} ${args.join(' ')}' exited with ${exit.code}; last lines of ${options.logFile}:\n${await logTail(options.logFile)}`,
      { hint: `check the build dependencies (${SETUP_HINT})` },
    );
  }
}

/**
 * The real builder: unpack the source tarball, `make allnoconfig` with the fragment as
 * KCONFIG_ALLCONFIG (every option it does not name is off), check that every setting survived,
 * compile vmlinux, and strip it as the bzImage build strips its payload (objcopy -R .comment -S).
 */
export const buildWithMake: KernelBuilder = async (job) => {
  const { inputs, workDir, signal, log } = job;
  const logFile = path.join(workDir, 'build.log');
  const srcParent = path.join(workDir, 'src');
  await fs.mkdir(srcParent);
  log(`unpacking ${inputs.tarball}`);
  await runStep('tar', ['-xf', inputs.tarball, '-C', srcParent], { cwd: workDir, logFile, signal });
  const tops = await fs.readdir(srcParent);
  if (tops.length !== 1)
    throw new IntegrityError(`${inputs.tarball}: expected one top-level directory, found ${tops.length}`);
  const src = path.join(srcParent, tops[0]!);
  // Build exactly what was hashed: the canonical settings, not the file (it may change meanwhile).
  const fragment = path.join(workDir, 'fragment.config');
  await fs.writeFile(fragment, canonicalFragment(inputs.settings));
  const env = {
    ...process.env,
    // Fixed build identity: the same inputs give the same `uname -v` on every machine.
    KBUILD_BUILD_USER: 'isobench',
    KBUILD_BUILD_HOST: 'isobench',
    KBUILD_BUILD_TIMESTAMP: '1970-01-01',
    LC_ALL: 'C',
  };
  const make = ['ARCH=x86_64', `-j${job.jobs}`];
  log('configuring: make allnoconfig + fragment');
  await runStep('make', [...make, `KCONFIG_ALLCONFIG=${fragment}`, 'allnoconfig'], { cwd: src, logFile, env, signal });
  const configPath = path.join(src, '.config');
  const mismatches = findConfigMismatches(inputs.settings, parseDotConfig(await fs.readFile(configPath, 'utf8')));
  if (mismatches.length > 0) {
    const lineOf = new Map(inputs.settings.map((s) => [s.symbol, s.line]));
    const list = mismatches
      .map((m) => `${inputs.fragmentFile}:${lineOf.get(m.symbol)}: ${m.symbol}=${m.wanted} came out as ${m.got}`)
      .join('; ');
    throw new InputError(`Kconfig did not keep ${mismatches.length} setting(s) of the fragment: ${list}`, {
      hint: 'an option whose dependencies are off is dropped: enable its dependencies in the fragment or remove the line',
    });
  }
  log(`compiling vmlinux with make -j${job.jobs} (minutes)`);
  await runStep('make', [...make, `LOCALVERSION=${localVersionFor(job.key)}`, 'vmlinux'], {
    cwd: src,
    logFile,
    env,
    signal,
  });
  const release = (await fs.readFile(path.join(src, 'include', 'config', 'kernel.release'), 'utf8')).trim();
  const vmlinuxPath = path.join(workDir, 'vmlinux');
  await runStep('objcopy', ['-R', '.comment', '-S', path.join(src, 'vmlinux'), vmlinuxPath], {
    cwd: src,
    logFile,
    signal,
  });
  return { vmlinuxPath, configPath, release };
};
