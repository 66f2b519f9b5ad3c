// Crash-safe file writes: write to a temp file beside the target, fsync, rename, fsync the dir.
// A reader sees the old file or the new one, never a torn one.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';

/**
 * Checks, before any work, that `file` can be written as an output file: its directory exists
 * and it is not itself a directory. Changes nothing.
 * @throws InputError naming the path and the fix.
 */
export async function checkOutputFile(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  let dirStat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    dirStat = await fs.stat(dir);
  } catch (error) {
    throw outputFileError(file, error);
  }
  if (!dirStat.isDirectory())
    throw outputFileError(file, Object.assign(new Error('not a directory'), { code: 'ENOTDIR' }));
  await checkReplaceable(file);
}

/**
 * Refuses to replace anything but a regular file: renaming over /dev/null (say, `-o /dev/null`)
 * would replace the device node itself.
 */
async function checkReplaceable(file: string): Promise<void> {
  const stat = await fs.lstat(file).catch(() => undefined);
  if (stat === undefined || stat.isFile()) return;
  if (stat.isDirectory()) throw outputFileError(file, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
  throw new InputError(
    `cannot write ${file}: it exists and is not a regular file (a device, FIFO, socket or symlink)`,
    {
      hint: 'give the path of a regular file or of one that does not exist yet',
    },
  );
}

/**
 * Checks, before any work, that `dir` can be used as an output directory: it does not exist yet,
 * or it is a directory. Changes nothing.
 * @throws InputError naming the path and the fix.
 */
export async function checkOutputDir(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat !== undefined && !stat.isDirectory()) {
    throw new InputError(`cannot write into ${dir}: it exists and is not a directory`, {
      hint: 'give a new directory, or an existing one',
    });
  }
}

/** A failure to create output `file`, as an InputError naming the path and the fix (others unchanged). */
export function outputFileError(file: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const dir = path.dirname(path.resolve(file));
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new InputError(`cannot write ${file}: the directory ${dir} does not exist`, {
      hint: 'create the directory first, or give a path in an existing one',
      cause: error,
    });
  }
  if (code === 'EISDIR') {
    return new InputError(`cannot write ${file}: it is a directory`, { hint: 'give a file name', cause: error });
  }
  return error;
}

/**
 * Atomically replaces `file` with `data`. The parent directory must exist, and `file` must be a
 * regular file if it exists (InputError if not). `durable: false` skips the fsyncs: a reader still
 * never sees a torn file, but a power cut may bring the old one back (for records, such as a
 * process id, that a power cut voids anyway).
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  mode = 0o644,
  { durable = true }: { durable?: boolean } = {},
): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  await checkReplaceable(file);
  const handle = await fs.open(tmp, 'wx', mode).catch((error: unknown) => {
    throw outputFileError(file, error);
  });
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw outputFileError(file, error);
  }
  if (durable) await fsyncDir(dir);
}

/** Atomically writes JSON (pretty, trailing newline); `durable` as writeFileAtomic's. */
export async function writeJsonAtomic(
  file: string,
  value: unknown,
  options: { durable?: boolean } = {},
): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, 0o644, options);
}

/** fsyncs a directory so a rename inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
