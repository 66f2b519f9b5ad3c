// The state root is checked once, before a command touches it, so an unusable one (a file, a
// read-only or unwritable file system, a parent that is a file) is one line naming the path and
// the fix. The check only reads, so a command refused here (or later, for a bad flag) has
// changed nothing. Without it the first mkdir deep inside a command failed with a stack trace,
// or with a misleading ENOENT (Node's recursive mkdir on a read-only file system reports ENOENT).
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';

/** What a command does with the state root: 'write' also needs it writable. */
export type StateRootUse = 'read' | 'write';

const FIX = 'give --root (or ISOBENCH_ROOT) a directory isobench can write';

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Why `dir` (an existing directory) cannot be written, or undefined when it can. */
async function whyNotWritable(dir: string): Promise<string | undefined> {
  try {
    await fs.access(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EROFS') return 'is on a read-only file system (EROFS)';
    if (code === 'EACCES' || code === 'EPERM') return `is not writable by this user (${code})`;
    return `cannot be written (${code ?? String(error)})`;
  }
}

/** The deepest existing ancestor of `dir` (which does not exist), and what it is. */
async function nearestExisting(dir: string): Promise<{ at: string; isDir: boolean }> {
  let at = path.dirname(dir);
  for (;;) {
    try {
      return { at, isDir: (await fs.stat(at)).isDirectory() };
    } catch (error) {
      if (codeOf(error) !== 'ENOENT' && codeOf(error) !== 'ENOTDIR') throw error;
      if (at === path.dirname(at)) return { at, isDir: true };
      at = path.dirname(at);
    }
  }
}

/** Checks that a missing state root can be created (commands create it), naming the ancestor that prevents it. */
async function checkCreatable(root: string): Promise<void> {
  const { at, isDir } = await nearestExisting(root);
  if (!isDir) {
    throw new InputError(`cannot create the state root ${root}: ${at} is a file, not a directory`, { hint: FIX });
  }
  const why = await whyNotWritable(at);
  if (why) throw new InputError(`cannot create the state root ${root}: ${at} ${why}`, { hint: FIX });
}

/**
 * Checks that `root` can serve as the state root for `use`: an existing writable directory, or
 * one that can be created where it is missing (the command creates it). A command that only
 * reads may use a read-only root (ImageStore.open says so when its store was never set up there).
 * Changes nothing.
 * @throws InputError naming the path, what is wrong with it and the fix; nothing is changed then.
 */
export async function checkStateRoot(root: string, use: StateRootUse): Promise<void> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(root);
  } catch (error) {
    if (codeOf(error) === 'ENOENT' || codeOf(error) === 'ENOTDIR') return checkCreatable(root);
    throw new InputError(`cannot use the state root ${root}: ${codeOf(error) ?? String(error)}`, { hint: FIX });
  }
  if (!stat.isDirectory()) {
    throw new InputError(`the state root ${root} is a file, not a directory`, { hint: FIX });
  }
  if (use === 'read') return;
  const why = await whyNotWritable(root);
  if (why) throw new InputError(`the state root ${root} ${why}`, { hint: FIX });
}
