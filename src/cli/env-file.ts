// `--env-file FILE` as Docker reads it: one VAR=VALUE per line, taken literally (no quotes, no
// expansion); a bare VAR takes the value it has in isobench's own environment, or is skipped when
// unset; blank lines and lines starting with # are ignored.
import { promises as fs } from 'node:fs';
import { InputError } from '../errors.js';

/** Larger than any sensible env file; refused rather than read into memory. */
const ENV_FILE_MAX_BYTES = 1 << 20;
const NAME = /^[^=\s]+$/;

/**
 * KEY=VALUE entries of `files`, in file and line order (later entries win when merged).
 * @throws InputError naming the file (and line) and the fix; nothing is read past the first error.
 */
export async function readEnvFiles(files: string[], hostEnv: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const entries: string[] = [];
  for (const file of files) entries.push(...parseEnvFile(file, await readSmallText(file), hostEnv));
  return entries;
}

/** The entries of one env file's text; `file` names it in errors. */
export function parseEnvFile(file: string, text: string, hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  const entries: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const at = `--env-file ${file}:${index + 1}`;
    if (line.includes('\0')) throw new InputError(`${at}: a NUL byte`, { hint: 'env files are text' });
    const eq = trimmed.indexOf('=');
    const name = eq < 0 ? trimmed.trimEnd() : trimmed.slice(0, eq);
    if (!NAME.test(name)) {
      throw new InputError(`${at}: expected VAR=VALUE or VAR, got ${JSON.stringify(line)}`, {
        hint: 'a variable name has no spaces and no =; write one variable per line',
      });
    }
    if (eq >= 0) entries.push(`${name}=${trimmed.slice(eq + 1)}`);
    else if (hostEnv[name] !== undefined) entries.push(`${name}=${hostEnv[name]}`);
  });
  return entries;
}

async function readSmallText(file: string): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new InputError(`--env-file ${file}: cannot be read (${code})`, { hint: 'give the path of a readable file' });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new InputError(`--env-file ${file}: not a regular file`, { hint: 'give a file' });
    if (stat.size > ENV_FILE_MAX_BYTES) {
      throw new InputError(`--env-file ${file}: ${stat.size} bytes, more than an env file holds (1 MiB at most)`);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
