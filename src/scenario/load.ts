// Loads scenario files: find by name, read as hostile input, validate with zod, report the first
// problem as ScenarioError(file, line, expected form), then resolve defaults per case.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { InputError, NotFoundError, ScenarioError } from '../errors.js';
import { formatUnknownKey, formatValueIssue, keysOfSchemaAt, suggestKey, valueAt } from './format-issue.js';
import { resolveScenario } from './resolve.js';
import { type Scenario, type ScenarioFile, scenarioFileSchema } from './schema.js';
import { parseYamlSource, readScenarioText, type YamlSource } from './yaml-source.js';

const HINT = 'see scenarios/README.md for the format';

/**
 * Reads, validates and resolves a scenario file.
 * @param file path of a .yaml file (used as given in messages).
 * @throws ScenarioError(file, line, ...) for any problem in the file; NotFoundError if it does not exist.
 */
export async function loadScenario(file: string): Promise<Scenario> {
  return parseScenario(file, await readScenarioText(file));
}

/** Validates and resolves scenario text; `file` names it in messages and must match `name:`. Pure. */
export function parseScenario(file: string, text: string): Scenario {
  const source = parseYamlSource(file, text);
  return resolveScenario(source, validateScenarioFile(source));
}

/** Checks the file against the schema; the issue on the earliest line becomes the ScenarioError. */
export function validateScenarioFile(source: YamlSource): ScenarioFile {
  const result = scenarioFileSchema.safeParse(source.value);
  if (result.success) return result.data;
  const located = dropMissingTypos(source, result.error.issues).map((issue) => locateIssue(source, issue));
  // Earliest line first; on one line an unknown key (a typo) explains more than what follows from it.
  const first = located.reduce((best, next) =>
    next.line < best.line || (next.line === best.line && next.unknownKey && !best.unknownKey) ? next : best,
  );
  throw new ScenarioError(source.file, first.line, first.message, { hint: HINT });
}

/** A misspelt key also makes the real key "missing": keep only the unknown-key issue, which suggests it. */
function dropMissingTypos(source: YamlSource, issues: z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const suggested = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const validKeys = keysOfSchemaAt(scenarioFileSchema, issue.path);
    for (const key of issue.keys) {
      const suggestion = suggestKey(key, validKeys);
      if (suggestion) suggested.add(JSON.stringify([...issue.path, suggestion]));
    }
  }
  return issues.filter(
    (issue) => !(valueAt(source.value, issue.path) === undefined && suggested.has(JSON.stringify(issue.path))),
  );
}

function locateIssue(
  source: YamlSource,
  issue: z.core.$ZodIssue,
): { line: number; message: string; unknownKey: boolean } {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const inThresholds = issue.path.length === 1 && issue.path[0] === 'thresholds';
    const validKeys = keysOfSchemaAt(scenarioFileSchema, issue.path);
    return {
      line: source.lineOfKey(issue.path, key),
      message: formatUnknownKey(key, issue.path, validKeys, inThresholds ? 'metric' : 'key'),
      unknownKey: true,
    };
  }
  const message = formatValueIssue(issue, valueAt(source.value, issue.path));
  return { line: source.lineOf(issue.path), message, unknownKey: false };
}

/**
 * Finds a scenario file: a bare name (e.g. "startup") means `<scenariosDir>/<name>.yaml`;
 * anything with a slash or a .yaml/.yml suffix is a path.
 * @returns the path of an existing file.
 * @throws InputError for a malformed name; NotFoundError (listing the known names) if absent.
 */
export async function findScenario(nameOrPath: string, scenariosDir: string): Promise<string> {
  const isPath = nameOrPath.includes('/') || /\.ya?ml$/.test(nameOrPath);
  if (!isPath && !/^[a-z0-9][a-z0-9-]{0,63}$/.test(nameOrPath)) {
    throw new InputError(`expected a scenario name like startup or a path to a .yaml file, got '${nameOrPath}'`);
  }
  const file = isPath ? nameOrPath : path.join(scenariosDir, `${nameOrPath}.yaml`);
  try {
    await fs.access(file);
    return file;
  } catch {
    const known = await listScenarios(scenariosDir);
    throw new NotFoundError(`scenario '${nameOrPath}' not found (looked for ${file})`, {
      hint: known.length ? `known scenarios: ${known.join(', ')}` : `no scenarios in ${scenariosDir}`,
    });
  }
}

/** Names of the scenario files in `scenariosDir` (without .yaml), sorted; [] if the dir is absent. */
export async function listScenarios(scenariosDir: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(scenariosDir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && entry.name.endsWith('.yaml'))
      .map((entry) => entry.name.slice(0, -'.yaml'.length))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
