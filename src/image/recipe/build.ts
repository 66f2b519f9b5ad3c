// Builds an image from a recipe: one layer per COPY/ADD/RUN that changes files, config-only
// instructions change the config, every step goes through the build cache, and the image is
// committed (tagged) only when every step succeeded.
// NOTE: WORKDIR only sets the config; the directory is created (with the metadata it already has
// in the image, else 0755 root) by the next RUN (in its upper dir) or COPY into it. A WORKDIR not
// followed by RUN/COPY leaves no directory: the runtime creates cwd when a container starts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, rmSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import {
  EnvironmentError,
  EXIT_STATUS,
  HelperError,
  InputError,
  IsobenchError,
  RecipeError,
  requireRoot,
} from '../../errors.js';
import { helperBinary, type RootLayout } from '../../paths.js';
import { isProcessAlive } from '../../util/process.js';
import { type PackOptions, packLayerFromDir } from '../layer-tar.js';
import { ImageStore, parseImageRef } from '../store.js';
import type { ImageRuntimeConfig, LayerInfo, OciImageConfig, StoredImage } from '../types.js';
import { applyConfigStep, runEnvironment } from './apply-config.js';
import { type CacheEntry, computeStepKey, readCacheEntry, writeCacheEntry } from './build-cache.js';
import { type ContextSource, hashContextSources, resolveContextSources } from './context-sources.js';
import { resolveOwner } from './image-lookup.js';
import { MAX_RECIPE_BYTES } from './logical-lines.js';
import { parseRecipe } from './parse.js';
import { planSteps, resolveBaseRef } from './plan.js';
import { resolveSourceDateEpoch, SOURCE_DATE_EPOCH } from './source-date-epoch.js';
import { mirrorDirs, stageCopy } from './stage-copy.js';
import {
  type CopyStep,
  isLayerStep,
  type ParsedRecipe,
  type PlannedStep,
  type RunStep,
  type RunStepRunner,
} from './types.js';

const execFileAsync = promisify(execFile);

/** Prefix of the per-build temp dir under layout.tmp; the pid follows, so stale ones can be swept. */
const TEMP_PREFIX = 'build-';

export interface BuildOptions {
  /** Build context directory; COPY/ADD sources are relative to it. */
  contextDir: string;
  /** Recipe file (default: Containerfile, else Dockerfile, in the context). */
  file?: string;
  /** "name[:tag]" given to the built image. */
  tag: string;
  /**
   * `--build-arg` values. SOURCE_DATE_EPOCH here (else in the environment) makes the build
   * reproducible, as with BuildKit: seconds since 1970 that become the image's and every new step's
   * `created`, and the latest mtime a new layer's files carry; then two builds of one recipe and
   * context give one digest. A recipe reads it with `ARG SOURCE_DATE_EPOCH`.
   */
  buildArgs?: Record<string, string>;
  /** Ignore cache hits (entries are still written). */
  noCache?: boolean;
  /** Progress lines (no trailing newline). */
  log: (line: string) => void;
  /** Where RUN output goes: 'inherit' streams it live to our stdout/stderr; 'pipe' (default) sends it through `log` when the step ends. */
  runOutput?: 'inherit' | 'pipe';
  /** Runs RUN steps in a container: the runtime's `runEphemeral` (src/container). */
  runStep: RunStepRunner;
}

export interface BuildStepResult {
  /** Instruction as displayed, e.g. `COPY busybox /bin/busybox`. */
  instruction: string;
  cached: boolean;
  /** Layer added by the step (absent for config-only steps and RUNs that changed no file). */
  layer?: LayerInfo;
  /** Wall time of the step in nanoseconds. */
  durationNs: number;
}

export interface BuildResult {
  image: StoredImage;
  steps: BuildStepResult[];
}

/** What the build has so far. */
interface BuildState {
  layers: LayerInfo[];
  config: ImageRuntimeConfig;
  history: NonNullable<OciImageConfig['history']>;
}

/**
 * Builds and tags an image. Preconditions: root; the store under `layout.root`.
 * On any failure (RecipeError with file:line, a failing RUN, SIGINT) nothing is tagged or added
 * to the index and the build's temp dirs are removed; layers already added stay in the store as
 * cache (they are reused by the next build).
 */
export async function buildImage(layout: RootLayout, options: BuildOptions): Promise<BuildResult> {
  // Bad input first, then the privilege: a typo is reported as such to anyone.
  parseImageRef(options.tag);
  const { recipe, contextDir } = await loadRecipe(options);
  const sourceDateEpochS = resolveSourceDateEpoch(options.buildArgs ?? {});
  const buildArgs = {
    ...options.buildArgs,
    ...(sourceDateEpochS === undefined ? {} : { [SOURCE_DATE_EPOCH]: String(sourceDateEpochS) }),
  };
  // A step's time: the epoch when given (every build the same), else when the step first ran.
  const epochTime = sourceDateEpochS === undefined ? undefined : new Date(sourceDateEpochS * 1000).toISOString();
  const baseRef = resolveBaseRef(recipe, buildArgs);
  requireRoot('image build');

  const store = await ImageStore.open(layout.root);
  await sweepStaleTempDirs(layout);
  const base = baseRef === 'scratch' ? undefined : await store.resolve(baseRef);
  const plan = planSteps(recipe, { buildArgs, base: base?.config.config ?? {} });
  for (const name of plan.unusedBuildArgs) {
    if (name !== SOURCE_DATE_EPOCH) options.log(`warning: build arg ${name} was not consumed by any ARG`);
  }

  const tempDir = path.join(layout.tmp, `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  // First Ctrl-C: stop after the current step, through the finally below. Second: remove our temp
  // dir synchronously and exit at once.
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      rmSync(tempDir, { recursive: true, force: true });
      process.exit(EXIT_STATUS.INTERRUPTED);
    }
    interrupted = true;
    options.log('interrupted: stopping after the current step (Ctrl-C again to abort now)');
  };
  process.on('SIGINT', onSigint);
  await fs.mkdir(tempDir, { recursive: true, mode: 0o700 });
  try {
    const state: BuildState = {
      layers: [...(base?.layers ?? [])],
      config: structuredClone(base?.config.config ?? {}),
      history: [...(base?.config.history ?? [])],
    };
    const steps: BuildStepResult[] = [];
    let parentKey = base?.digest ?? 'scratch';
    let lastCreated = base?.config.created;
    const ctx: StepContext = { store, layout, recipe, contextDir, tempDir, options, state, sourceDateEpochS };
    for (const [index, step] of plan.steps.entries()) {
      if (interrupted) throw interruptedError();
      const started = process.hrtime.bigint();
      const sources = isCopy(step) ? await resolveStepSources(ctx, step) : undefined;
      const sourcesHash = sources ? await hashContextSources(sources) : undefined;
      const key = computeStepKey(parentKey, step, sourcesHash, sourceDateEpochS);
      let entry = options.noCache ? undefined : await readCacheEntry(layout.buildCache, key);
      if (entry?.layer && !(await store.hasLayer(entry.layer.digest, entry.layer.diffId))) entry = undefined;
      const cached = entry !== undefined;
      options.log(`STEP ${index + 1}/${plan.steps.length}: ${step.display}${cached ? ' (cached)' : ''}`);
      if (!entry) {
        entry = await runStep(ctx, step, key, sources);
        await writeCacheEntry(layout.buildCache, entry);
      }
      if (interrupted) throw interruptedError();
      state.config = entry.config;
      if (entry.layer) state.layers.push(entry.layer);
      state.history.push({
        created: epochTime ?? entry.created,
        created_by: step.display,
        comment: 'isobench build',
        ...(entry.layer ? {} : { empty_layer: true }),
      });
      lastCreated = epochTime ?? entry.created;
      parentKey = key;
      const durationNs = Number(process.hrtime.bigint() - started);
      steps.push({ instruction: step.display, cached, ...(entry.layer ? { layer: entry.layer } : {}), durationNs });
    }
    const config: OciImageConfig = {
      // The last step's time: a fully cached rebuild produces the very same image digest.
      created: epochTime ?? lastCreated ?? new Date(0).toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: state.config,
      rootfs: { type: 'layers', diff_ids: state.layers.map((l) => l.diffId) },
      history: state.history,
    };
    const image = await store.commitImage({ config, layers: state.layers, ref: options.tag });
    return { image, steps };
  } finally {
    process.removeListener('SIGINT', onSigint);
    await fs.rm(tempDir, { recursive: true, force: true });
  }
}

interface StepContext {
  store: ImageStore;
  layout: RootLayout;
  recipe: ParsedRecipe;
  contextDir: string;
  tempDir: string;
  options: BuildOptions;
  state: BuildState;
  /** SOURCE_DATE_EPOCH of the build: the latest mtime its layers carry. */
  sourceDateEpochS: number | undefined;
}

function isCopy(step: PlannedStep): step is CopyStep {
  return step.kind === 'copy' || step.kind === 'add';
}

function interruptedError(): IsobenchError {
  return new IsobenchError('INTERRUPTED', 'image build interrupted (SIGINT): nothing was committed', {
    hint: 'run the build again; finished steps come from the build cache',
  });
}

/** Runs a step for real and returns the cache entry describing its result. */
async function runStep(
  ctx: StepContext,
  step: PlannedStep,
  key: string,
  sources?: ContextSource[],
): Promise<CacheEntry> {
  const created = new Date().toISOString();
  let layer: LayerInfo | null = null;
  if (isLayerStep(step)) {
    layer = step.kind === 'run' ? await runRunStep(ctx, step) : await runCopyStep(ctx, step, sources ?? []);
  }
  return { version: 1, key, layer, config: applyConfigStep(ctx.state.config, step), created };
}

async function resolveStepSources(ctx: StepContext, step: CopyStep): Promise<ContextSource[]> {
  return resolveContextSources(ctx.contextDir, step.sources, {
    file: ctx.recipe.file,
    line: step.line,
    keyword: step.kind.toUpperCase(),
  });
}

async function currentLowerDirs(ctx: StepContext): Promise<string[]> {
  if (ctx.state.layers.length === 0) return [];
  const image: StoredImage = {
    refs: [],
    digest: '',
    configDigest: '',
    config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } },
    layers: ctx.state.layers,
  };
  return ctx.store.lowerDirs(image);
}

async function runCopyStep(ctx: StepContext, step: CopyStep, sources: ContextSource[]): Promise<LayerInfo | null> {
  const lowerDirs = await currentLowerDirs(ctx);
  let owner = { uid: 0, gid: 0 };
  if (step.chown) {
    const resolved = await resolveOwner(lowerDirs, step.chown);
    if (typeof resolved === 'string') {
      throw new RecipeError(ctx.recipe.file, step.line, `${step.kind.toUpperCase()} --chown: ${resolved}`, {
        hint: 'use numeric ids (--chown=1000:1000) or add the user to the image first',
      });
    }
    owner = resolved;
  }
  const stagingDir = await fs.mkdtemp(path.join(ctx.tempDir, 'copy-'));
  try {
    await stageCopy(step, sources, { stagingDir, scratchDir: ctx.tempDir, lowerDirs, owner, file: ctx.recipe.file });
    return await addLayerFromDir(ctx.store, stagingDir, { overlayUpper: false, maxMtimeS: ctx.sourceDateEpochS });
  } finally {
    await fs.rm(stagingDir, { recursive: true, force: true });
  }
}

async function runRunStep(ctx: StepContext, step: RunStep): Promise<LayerInfo | null> {
  const lowerDirs = await currentLowerDirs(ctx);
  const upperDir = await fs.mkdtemp(path.join(ctx.tempDir, 'run-'));
  try {
    // The upper dir's own metadata becomes the container's "/": mkdtemp made it 0700.
    const rootStat = lowerDirs[0] ? await fs.lstat(lowerDirs[0]) : undefined;
    await fs.chmod(upperDir, rootStat ? rootStat.mode & 0o7777 : 0o755);
    const cwd = ctx.state.config.WorkingDir || '/';
    // The working dir must exist; create it in the upper dir so it lands in this step's layer.
    // Dirs new to the image belong to USER, as with BuildKit.
    if (cwd !== '/') {
      const user = ctx.state.config.User;
      const [name, group] = (user ?? '').split(':');
      const owner = name ? await resolveOwner(lowerDirs, group ? { user: name, group } : { user: name }) : undefined;
      await mirrorDirs(
        { stagingDir: upperDir, lowerDirs, ...(typeof owner === 'object' ? { newDirOwner: owner } : {}) },
        cwd,
      );
    }
    const runOutput = ctx.options.runOutput ?? 'pipe';
    const result = await ctx.options
      .runStep(ctx.layout, {
        lowerDirs,
        upperDir,
        args: step.argv,
        env: runEnvironment(ctx.state.config, step.args),
        cwd,
        ...(ctx.state.config.User ? { user: ctx.state.config.User } : {}),
        network: step.network,
        hostname: 'isobench-build',
        stdio: runOutput,
      })
      .catch((error: unknown) => {
        // The command could not start (missing binary, bad user): a recipe error at this line.
        if (error instanceof IsobenchError && error.code === 'WORKLOAD') {
          throw new RecipeError(ctx.recipe.file, step.line, `RUN could not start: ${error.message}`, {
            hint: error.hint ?? 'check the command path and that the image provides it',
            cause: error,
          });
        }
        throw error;
      });
    for (const text of [result.stdout, result.stderr]) {
      for (const line of text?.split('\n') ?? []) if (line !== '') ctx.options.log(`  ${line}`);
    }
    if (result.exitCode !== 0) {
      const how = result.signal ? ` (killed by ${result.signal})` : '';
      throw new RecipeError(ctx.recipe.file, step.line, `RUN failed with exit code ${result.exitCode}${how}`, {
        hint: 'fix the command; its output is shown above',
      });
    }
    if ((await fs.readdir(upperDir)).length === 0) return null;
    const opaqueDirs = await listOpaqueDirs(upperDir);
    return await addLayerFromDir(ctx.store, upperDir, {
      overlayUpper: true,
      opaqueDirs,
      maxMtimeS: ctx.sourceDateEpochS,
    });
  } finally {
    await fs.rm(upperDir, { recursive: true, force: true });
  }
}

/** Packs `dir` and adds it as a layer; null when the dir is empty (no layer for no change). */
async function addLayerFromDir(store: ImageStore, dir: string, packOptions: PackOptions): Promise<LayerInfo | null> {
  if ((await fs.readdir(dir)).length === 0 && !(packOptions.opaqueDirs ?? []).length) return null;
  const tar = new PassThrough();
  const packing = packLayerFromDir(dir, tar, packOptions).catch((error: unknown) => {
    tar.destroy(error as Error);
    throw error;
  });
  const [layer] = await Promise.all([store.addLayer(tar), packing]);
  return layer;
}

/** Dirs of an overlay upper dir marked opaque (relative), from `isobench-helper opaque-dirs`. */
async function listOpaqueDirs(upperDir: string): Promise<string[]> {
  const helper = helperBinary();
  try {
    await fs.access(helper);
  } catch {
    throw new EnvironmentError(`the isobench helper is missing at ${helper}`, {
      hint: 'build it with `npm run build:helper` (or set ISOBENCH_HELPER)',
    });
  }
  try {
    const { stdout } = await execFileAsync(helper, ['opaque-dirs', upperDir], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.split('\n').filter((l) => l !== '');
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new HelperError(
      'opaque-dirs',
      `${helper} opaque-dirs ${upperDir} failed: ${stderr.trim() || (error as Error).message}`,
    );
  }
}

/** Finds, size-checks and parses the recipe. */
async function loadRecipe(options: BuildOptions): Promise<{ recipe: ParsedRecipe; contextDir: string }> {
  const contextDir = path.resolve(options.contextDir);
  const stat = await fs.stat(contextDir).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new InputError(`build context ${contextDir} is not a directory`, {
      hint: 'give the directory holding the Containerfile, e.g. scenarios/images/busybox',
    });
  }
  const candidates = options.file
    ? [path.resolve(options.file)]
    : [path.join(contextDir, 'Containerfile'), path.join(contextDir, 'Dockerfile')];
  for (const file of candidates) {
    const fileStat = await fs.stat(file).catch(() => undefined);
    if (!fileStat?.isFile()) continue;
    const name = path.basename(file);
    if (fileStat.size > MAX_RECIPE_BYTES) {
      throw new RecipeError(name, 1, `recipe is larger than ${MAX_RECIPE_BYTES} bytes`);
    }
    return { recipe: parseRecipe(name, await fs.readFile(file, 'utf8')), contextDir };
  }
  const given = options.file ? await fs.stat(candidates[0]!).catch(() => undefined) : undefined;
  throw new InputError(
    options.file
      ? `recipe file ${candidates[0]} ${given ? 'is not a regular file' : 'does not exist'}`
      : `no Containerfile or Dockerfile in ${contextDir}`,
    { hint: 'name the recipe with -f FILE, or put a Containerfile in the context directory' },
  );
}

/** Removes temp dirs of builds whose process is gone (crash, SIGKILL). */
async function sweepStaleTempDirs(layout: RootLayout): Promise<void> {
  const names = await fs.readdir(layout.tmp).catch(() => [] as string[]);
  for (const name of names) {
    const match = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    await fs.rm(path.join(layout.tmp, name), { recursive: true, force: true });
  }
}
