// The one PATH lookup: which file `execvp` would run for a program name, found before launching so
// a missing tool is reported with its fix instead of as a spawn ENOENT.
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';

/** The search path used when PATH is unset (the usual root PATH, as in the OCI runtime spec's default). */
export const DEFAULT_SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Absolute path of the executable regular file `name` names: a name with a slash is taken as a
 * path (resolved against the cwd); any other is looked up in `searchPath` (':'-separated, empty
 * entries skipped, first match wins). Returns null when nothing executable is found.
 */
export async function findExecutable(
  name: string,
  searchPath = process.env.PATH ?? DEFAULT_SEARCH_PATH,
): Promise<string | null> {
  const candidates = name.includes('/')
    ? [path.resolve(name)]
    : searchPath
        .split(':')
        .filter((dir) => dir !== '')
        .map((dir) => path.resolve(dir, name));
  for (const candidate of candidates) {
    try {
      await fs.access(candidate, fsConstants.X_OK);
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here: try the next PATH entry.
    }
  }
  return null;
}
