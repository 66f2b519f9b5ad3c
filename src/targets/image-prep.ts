// Makes sure a workload's image is in the store before anything is timed: found as is, or built
// from its recipe in scenarios/images/<name>/. The host files a shipped recipe copies (static
// busybox, build/isobench-probe) are staged fresh into a temp copy of its context, so a build
// never uses a stale or missing copy.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { runEphemeral } from '../container/index.js';
import { EnvironmentError, NotFoundError } from '../errors.js';
import { buildImage } from '../image/recipe/build.js';
import { ImageStore, parseImageRef } from '../image/store.js';
import type { StoredImage } from '../image/types.js';
import { packageDir, probeBinary, type RootLayout } from '../paths.js';

const SETUP_HINT = 'run the set-up command: bash scripts/setup.sh';

/** Context file name -> host file, for the files a recipe copies from the host (see scripts/setup.sh). */
export function hostContextFiles(): Record<string, string> {
  return { busybox: '/bin/busybox', 'isobench-probe': probeBinary() };
}

/** The recipe dir of an image ref (last segment of its name), when one is shipped. */
export function recipeDirFor(ref: string): string | undefined {
  const name = parseImageRef(ref).name.split('/').pop()!;
  const dir = path.join(packageDir(), 'scenarios', 'images', name);
  return existsSync(path.join(dir, 'Containerfile')) || existsSync(path.join(dir, 'Dockerfile')) ? dir : undefined;
}

/** Names of the recipe's COPY/ADD sources that are host files to stage (a cheap textual scan). */
export function stagedSourcesOf(recipeText: string, hostFiles: Record<string, string>): string[] {
  const words = new Set(
    recipeText
      .split('\n')
      .filter((line) => /^\s*(COPY|ADD)\s/i.test(line))
      .flatMap((line) => line.trim().split(/\s+/).slice(1)),
  );
  return Object.keys(hostFiles).filter((name) => words.has(name));
}

/** The image a recipe builds FROM (a cheap textual scan); undefined for scratch or no FROM. */
export function baseImageOf(recipeText: string): string | undefined {
  const match = /^\s*FROM\s+(?:--\S+\s+)*(\S+)/im.exec(recipeText);
  const base = match?.[1];
  return base === undefined || base.toLowerCase() === 'scratch' ? undefined : base;
}

/** Shipped recipes built FROM shipped recipes (nginx FROM debian); deeper chains are a mistake. */
const MAX_BASE_DEPTH = 4;

/**
 * Resolves `ref` in the store under `layout.root`, building it from its recipe when missing, and
 * first its base when that is a shipped recipe missing from the store (nginx FROM debian).
 * Not timed: targets call it from prepare().
 * @throws NotFoundError when the image is neither stored nor has a recipe; EnvironmentError when a
 *   host file the recipe copies (busybox, the probe) is missing; RecipeError from the build.
 */
export async function ensureImage(
  layout: RootLayout,
  ref: string,
  log: (line: string) => void = () => undefined,
  depth = 0,
): Promise<StoredImage> {
  const store = await ImageStore.open(layout.root);
  const found = await store.resolve(ref).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (found) return found;
  const recipeDir = recipeDirFor(ref);
  // No recipe: the store's own error names the fix.
  if (recipeDir === undefined) return store.resolve(ref);
  const base = baseImageOf(await fs.readFile(recipeFileOf(recipeDir), 'utf8'));
  if (base !== undefined && recipeDirFor(base) !== undefined) {
    if (depth >= MAX_BASE_DEPTH) {
      throw new EnvironmentError(`the recipe of ${ref} is more than ${MAX_BASE_DEPTH} FROMs deep in shipped recipes`);
    }
    await ensureImage(layout, base, log, depth + 1);
  }
  log(`building image ${ref} from ${path.relative(packageDir(), recipeDir)}`);
  const contextDir = await stageContext(layout, recipeDir);
  try {
    return (await buildImage(layout, { contextDir, tag: ref, log, runStep: runEphemeral })).image;
  } finally {
    if (contextDir !== recipeDir) await fs.rm(contextDir, { recursive: true, force: true });
  }
}

/** A temp copy of `recipeDir` with the host files it copies put in; the dir itself when it copies none. */
function recipeFileOf(recipeDir: string): string {
  return path.join(recipeDir, existsSync(path.join(recipeDir, 'Containerfile')) ? 'Containerfile' : 'Dockerfile');
}

async function stageContext(layout: RootLayout, recipeDir: string): Promise<string> {
  const hostFiles = hostContextFiles();
  const staged = stagedSourcesOf(await fs.readFile(recipeFileOf(recipeDir), 'utf8'), hostFiles);
  if (staged.length === 0) return recipeDir;
  for (const name of staged) {
    if (!existsSync(hostFiles[name]!)) {
      throw new EnvironmentError(`${hostFiles[name]} is missing: the image recipe in ${recipeDir} copies it`, {
        hint: SETUP_HINT,
      });
    }
  }
  await fs.mkdir(layout.tmp, { recursive: true });
  // The pid in the name lets gc sweep it if we die (tmp entries are "<label>-<pid>-<random>").
  const contextDir = await fs.mkdtemp(path.join(layout.tmp, `context-${process.pid}-`));
  try {
    await fs.cp(recipeDir, contextDir, { recursive: true, verbatimSymlinks: true });
    for (const name of staged) {
      await fs.rm(path.join(contextDir, name), { force: true });
      await fs.copyFile(hostFiles[name]!, path.join(contextDir, name));
      await fs.chmod(path.join(contextDir, name), 0o755);
    }
    return contextDir;
  } catch (error) {
    await fs.rm(contextDir, { recursive: true, force: true });
    throw error;
  }
}
