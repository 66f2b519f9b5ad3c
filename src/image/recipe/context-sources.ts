// Finds COPY/ADD sources in the build context (globs included) and refuses any that resolve
// outside it, through `..` or a symlink; hashes what they contain for the build cache.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RecipeError } from '../../errors.js';

/** One matched source: its name in the context and the real path to read (symlinks resolved). */
export interface ContextSource {
  /** Path relative to the context as matched, e.g. `etc` or `busybox`. */
  rel: string;
  /** Real absolute path inside the context. */
  realPath: string;
  stat: Stats;
}

/** Where the error is reported. */
export interface SourceSite {
  file: string;
  line: number;
  keyword: string;
}

const GLOB_CHARS = /[*?[]/;

/**
 * Resolves source patterns (already lexically checked: relative, no leading `..`) inside
 * `contextDir`. Every match must exist and its real path must stay inside the real context dir.
 * @throws RecipeError naming the missing or escaping source.
 */
export async function resolveContextSources(
  contextDir: string,
  patterns: string[],
  site: SourceSite,
): Promise<ContextSource[]> {
  const contextReal = await fs.realpath(contextDir);
  const out: ContextSource[] = [];
  for (const pattern of patterns) {
    const matches = GLOB_CHARS.test(pattern) ? await expandGlob(contextReal, pattern, site) : [pattern];
    if (matches.length === 0) {
      throw new RecipeError(
        site.file,
        site.line,
        `${site.keyword} source '${pattern}' matches no file in the build context`,
      );
    }
    for (const rel of matches) out.push(await resolveOne(contextReal, rel, site));
  }
  return out;
}

async function resolveOne(contextReal: string, rel: string, site: SourceSite): Promise<ContextSource> {
  const abs = path.join(contextReal, rel);
  let realPath: string;
  try {
    realPath = await fs.realpath(abs);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new RecipeError(
      site.file,
      site.line,
      `${site.keyword} source '${rel}' does not exist in the build context ${contextReal}`,
      {
        hint:
          'check the path; files the set-up script provides (e.g. scenarios/images/busybox/busybox, ' +
          'scenarios/images/debian/rootfs.tar.gz) appear after `bash scripts/setup.sh`',
      },
    );
  }
  if (realPath !== contextReal && !realPath.startsWith(`${contextReal}/`)) {
    throw new RecipeError(
      site.file,
      site.line,
      `${site.keyword} source '${rel}' resolves to ${realPath}, outside the build context`,
      {
        hint: 'a source may not be (or pass through) a symlink leading out of the context; copy the file into it',
      },
    );
  }
  return { rel, realPath, stat: await fs.lstat(realPath) };
}

/** Expands `*`, `?` and `[...]` per path component (no `**`); hidden names need an explicit dot. */
async function expandGlob(contextReal: string, pattern: string, site: SourceSite): Promise<string[]> {
  let prefixes = [''];
  for (const part of pattern.split('/')) {
    const next: string[] = [];
    for (const prefix of prefixes) {
      if (!GLOB_CHARS.test(part)) {
        next.push(prefix === '' ? part : `${prefix}/${part}`);
        continue;
      }
      const dir = path.join(contextReal, prefix);
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      let re: RegExp;
      try {
        re = globToRegExp(part);
      } catch {
        throw new RecipeError(site.file, site.line, `${site.keyword} source pattern '${pattern}' is not a valid glob`);
      }
      for (const name of names.sort()) {
        if (re.test(name) && (!name.startsWith('.') || part.startsWith('.'))) {
          next.push(prefix === '' ? name : `${prefix}/${name}`);
        }
      }
    }
    prefixes = next;
  }
  // Only keep what exists (a literal component after a glob may not).
  const existing: string[] = [];
  for (const rel of prefixes) {
    if (await fs.lstat(path.join(contextReal, rel)).catch(() => undefined)) existing.push(rel);
  }
  return existing;
}

function globToRegExp(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const ch = part[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = part.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        const body = part
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * sha256 (hex) over what the sources contain: for every entry its relative path, type, mode,
 * symlink target and file contents. Owners and mtimes are left out (COPY resets owners; a touched
 * but unchanged file should not invalidate the cache).
 */
export async function hashContextSources(sources: ContextSource[]): Promise<string> {
  const hash = createHash('sha256');
  const feed = (...parts: Array<string | number>) => hash.update(`${parts.join('\0')}\n`);
  const visit = async (abs: string, rel: string, stat: Stats): Promise<void> => {
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.isDirectory()) {
      feed('d', rel, mode);
      const names = (await fs.readdir(abs)).sort();
      for (const name of names) {
        const child = path.join(abs, name);
        await visit(child, `${rel}/${name}`, await fs.lstat(child));
      }
    } else if (stat.isSymbolicLink()) {
      feed('l', rel, mode, await fs.readlink(abs));
    } else if (stat.isFile()) {
      feed('f', rel, mode, stat.size);
      await pipeline(createReadStream(abs), async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) hash.update(chunk);
      });
    } else {
      feed('o', rel, mode, stat.mode & 0o170000);
    }
  };
  for (const source of sources) await visit(source.realPath, source.rel, source.stat);
  return hash.digest('hex');
}
