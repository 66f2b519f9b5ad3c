// Reads a run.json back (from a run directory or the file itself) and validates it against the
// versioned schema, so a report or compare never works on a torn, foreign or future file.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError, IntegrityError, NotFoundError } from '../errors.js';
import { RESULT_SCHEMA_VERSION, type RunResult, runResultSchema } from '../suite/run-schema.js';
import { RUN_FILE } from '../suite/run-store.js';

/** Larger files are refused before parsing: a run of thousands of iterations is a few MiB. */
const MAX_RUN_FILE_BYTES = 256 * 1024 * 1024;

/** Resolves a run directory or a run.json path to the run.json path. */
async function resolveRunFile(pathToDirOrJson: string): Promise<string> {
  const stat = await fs.stat(pathToDirOrJson).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (stat === undefined) {
    throw new NotFoundError(`no run at ${pathToDirOrJson}: the path does not exist`, {
      hint: `give a run directory written by \`isobench suite run\` (it holds ${RUN_FILE}) or the ${RUN_FILE} itself`,
    });
  }
  return stat.isDirectory() ? path.join(pathToDirOrJson, RUN_FILE) : pathToDirOrJson;
}

async function readRunText(file: string): Promise<string> {
  const handle = await fs.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new NotFoundError(`no ${RUN_FILE} in ${path.dirname(file)}`, {
        hint: 'give a run directory written by `isobench suite run`; a run that failed before its first result has none',
        cause: error,
      });
    }
    throw error;
  });
  try {
    const { size } = await handle.stat();
    if (size > MAX_RUN_FILE_BYTES) {
      throw new InputError(`${file} is ${size} bytes, over the ${MAX_RUN_FILE_BYTES}-byte limit of a run file`, {
        hint: `give the ${RUN_FILE} written by \`isobench suite run\``,
      });
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** "series.3.target: Invalid option ..." for the first few issues. */
function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  const shown = issues.slice(0, 3).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  const more = issues.length > 3 ? `; and ${issues.length - 3} more` : '';
  return shown.join('; ') + more;
}

/**
 * Reads and validates a run result.
 * @param pathToDirOrJson - a run directory (holding run.json) or the path of a run.json.
 * @returns the run as recorded; `status` other than 'complete' means the run stopped early
 *   (reports flag it as interrupted).
 * @throws NotFoundError when there is no such file; IntegrityError when it is not valid JSON or
 *   does not match the schema; InputError when it has another schemaVersion.
 */
export async function readRun(pathToDirOrJson: string): Promise<RunResult> {
  const file = await resolveRunFile(pathToDirOrJson);
  const text = await readRunText(file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new IntegrityError(
      `${file} is not valid JSON (${(error as Error).message}): the run was interrupted while writing or the file is corrupt`,
      { hint: 're-run the suite with `isobench suite run` to record it again', cause: error },
    );
  }
  const version = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).schemaVersion : undefined;
  if (version !== RESULT_SCHEMA_VERSION) {
    if (version === undefined) {
      throw new IntegrityError(`${file} has no schemaVersion: it is not a run result written by isobench`, {
        hint: `give the ${RUN_FILE} of a run directory written by \`isobench suite run\``,
      });
    }
    throw new InputError(
      `${file} has schemaVersion ${JSON.stringify(version)}; this isobench reads schemaVersion ${RESULT_SCHEMA_VERSION} only`,
      { hint: 're-run the suite with this isobench, or read the run with the isobench version that wrote it' },
    );
  }
  const parsed = runResultSchema.safeParse(raw);
  if (!parsed.success) {
    throw new IntegrityError(
      `${file} does not match the run schema (${describeIssues(parsed.error.issues)}): the run was interrupted while writing or the file is corrupt`,
      { hint: 're-run the suite with `isobench suite run` to record it again' },
    );
  }
  return parsed.data;
}
