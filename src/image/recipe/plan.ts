// Plans a parsed recipe: substitutes ARG/ENV variables where Docker does (not in RUN/CMD/
// ENTRYPOINT, which the shell expands), resolves WORKDIR and COPY destinations, validates
// arguments and flags. Pure: the base image's config comes in as a value.
import path from 'node:path';
import { RecipeError } from '../../errors.js';
import type { ImageRuntimeConfig } from '../types.js';
import { expandWord, splitWords, WordError } from './shell-words.js';
import type { CopyStep, ParsedRecipe, PlannedStep, RawInstruction } from './types.js';

/** Proxy variables Docker passes to RUN without an ARG declaration. */
const PREDEFINED_ARGS = [
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
];

export interface PlanOptions {
  /** --build-arg values; they override ARG defaults. */
  buildArgs?: Record<string, string>;
  /** Runtime config of the base image (Env and WorkingDir matter); empty for scratch. */
  base?: ImageRuntimeConfig;
}

export interface RecipePlan {
  steps: PlannedStep[];
  /** --build-arg names no ARG declared (Docker warns about them). */
  unusedBuildArgs: string[];
}

/** Returns the FROM reference with global ARGs substituted: `scratch` or an image reference. */
export function resolveBaseRef(recipe: ParsedRecipe, buildArgs: Record<string, string> = {}): string {
  const globals = declareArgs(recipe, recipe.globalArgs, {}, {}, buildArgs);
  const from = recipe.from;
  for (const flag of from.flags) {
    if (flag.name === 'platform' && flag.value !== 'linux/amd64') {
      throw new RecipeError(recipe.file, from.line, `FROM --platform=${flag.value}: only linux/amd64 is supported`);
    }
  }
  const words = words_(recipe, from, globals);
  if (words.length === 1 || (words.length === 3 && words[1]!.toUpperCase() === 'AS')) {
    const ref = words[0]!;
    if (ref === '')
      throw new RecipeError(recipe.file, from.line, 'FROM needs an image: expected FROM scratch or FROM <image>');
    return ref.toLowerCase() === 'scratch' ? 'scratch' : ref;
  }
  throw new RecipeError(
    recipe.file,
    from.line,
    `FROM expects 'FROM <image>' or 'FROM <image> AS <name>', got ${words.length} argument${words.length === 1 ? '' : 's'}`,
  );
}

/** Plans every instruction after FROM. Throws RecipeError(file, line) for invalid arguments. */
export function planSteps(recipe: ParsedRecipe, options: PlanOptions = {}): RecipePlan {
  const buildArgs = options.buildArgs ?? {};
  const used = new Set<string>();
  const globals = declareArgs(recipe, recipe.globalArgs, {}, {}, buildArgs, used);
  const env = new Map<string, string>();
  for (const entry of options.base?.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  let args: Record<string, string> = {};
  for (const name of PREDEFINED_ARGS) if (buildArgs[name] !== undefined) args[name] = buildArgs[name]!;
  let workdir = options.base?.WorkingDir || '/';
  let cmdSeen = false;
  const steps: PlannedStep[] = [];

  for (const ins of recipe.instructions) {
    const vars = { ...args, ...Object.fromEntries(env) };
    const base = { line: ins.line, display: displayOf(ins), args: { ...args } };
    switch (ins.keyword) {
      case 'ARG': {
        const declared = parseArgWords(recipe, ins, vars);
        const next = { ...args };
        for (const d of declared) {
          used.add(d.name);
          const value = buildArgs[d.name] ?? d.value ?? globals[d.name];
          if (value === undefined) delete next[d.name];
          else next[d.name] = value;
        }
        args = next;
        steps.push({ ...base, kind: 'arg', vars: declared });
        break;
      }
      case 'ENV': {
        const pairs = parseKeyValues(recipe, ins, vars);
        for (const [k, v] of pairs) env.set(k, v);
        steps.push({ ...base, kind: 'env', vars: pairs });
        break;
      }
      case 'LABEL':
        steps.push({ ...base, kind: 'label', labels: parseKeyValues(recipe, ins, vars) });
        break;
      case 'WORKDIR': {
        const value = oneWord(recipe, ins, vars, 'a path');
        workdir = path.posix.resolve(workdir, value);
        steps.push({ ...base, kind: 'workdir', path: workdir });
        break;
      }
      case 'USER':
        steps.push({
          ...base,
          kind: 'user',
          user: oneWord(recipe, ins, vars, 'a user, e.g. USER 1000 or USER tester:tester'),
        });
        break;
      case 'STOPSIGNAL':
        steps.push({ ...base, kind: 'stopsignal', signal: oneWord(recipe, ins, vars, 'a signal, e.g. SIGTERM') });
        break;
      case 'CMD':
        cmdSeen = true;
        steps.push({ ...base, kind: 'cmd', argv: commandArgv(recipe, ins) });
        break;
      case 'ENTRYPOINT':
        steps.push({ ...base, kind: 'entrypoint', argv: commandArgv(recipe, ins), resetCmd: !cmdSeen });
        break;
      case 'RUN': {
        let network: 'none' | 'host' = 'none';
        for (const flag of ins.flags) {
          if (flag.value !== 'none' && flag.value !== 'host') {
            throw new RecipeError(recipe.file, ins.line, `RUN --network expects none or host, got '${flag.value}'`);
          }
          network = flag.value;
        }
        steps.push({ ...base, kind: 'run', argv: commandArgv(recipe, ins), network });
        break;
      }
      case 'COPY':
      case 'ADD':
        steps.push({ ...base, ...planCopy(recipe, ins, vars, workdir) });
        break;
      default:
        // FROM never reaches here (parse.ts keeps it apart).
        throw new RecipeError(recipe.file, ins.line, `${ins.keyword} is not allowed here`);
    }
  }
  const unusedBuildArgs = Object.keys(buildArgs).filter((k) => !used.has(k) && !PREDEFINED_ARGS.includes(k));
  return { steps, unusedBuildArgs };
}

function planCopy(
  recipe: ParsedRecipe,
  ins: RawInstruction,
  vars: Record<string, string>,
  workdir: string,
): Omit<CopyStep, 'line' | 'display' | 'args'> {
  const kind = ins.keyword === 'ADD' ? 'add' : 'copy';
  let chown: CopyStep['chown'];
  let chmod: number | undefined;
  for (const flag of ins.flags) {
    if (flag.name === 'from') {
      throw new RecipeError(recipe.file, ins.line, `COPY --from (multi-stage build) is not supported`, {
        hint: 'copy from the build context instead',
      });
    }
    const value = expand(recipe, ins, flag.value, vars);
    if (flag.name === 'chown') {
      const [user, group, extra] = value.split(':');
      if (!user || group === '' || extra !== undefined) {
        throw new RecipeError(
          recipe.file,
          ins.line,
          `${ins.keyword} --chown expects USER or USER:GROUP, got '${value}'`,
        );
      }
      chown = group === undefined ? { user } : { user, group };
    } else {
      if (!/^[0-7]{3,4}$/.test(value)) {
        throw new RecipeError(
          recipe.file,
          ins.line,
          `${ins.keyword} --chmod expects an octal mode like 0755, got '${value}'`,
        );
      }
      chmod = Number.parseInt(value, 8);
    }
  }
  const raw = ins.json ?? wordsOf(recipe, ins);
  const esc = recipe.escapeChar;
  // Exec-form strings are already unquoted: protect quotes and escapes so only $VARs change.
  const values = raw.map((w) =>
    expand(
      recipe,
      ins,
      ins.json ? w.replace(/['"\\`]/g, (c) => (c === esc || c === "'" || c === '"' ? esc + c : c)) : w,
      vars,
    ),
  );
  if (values.length < 2) {
    throw new RecipeError(
      recipe.file,
      ins.line,
      `${ins.keyword} needs at least a source and a destination, got ${values.length} argument${values.length === 1 ? '' : 's'}`,
    );
  }
  const destRaw = values.at(-1)!;
  if (destRaw === '')
    throw new RecipeError(recipe.file, ins.line, `${ins.keyword} destination is empty: expected a path`);
  const sources = values.slice(0, -1).map((s) => checkSource(recipe, ins, s));
  const destIsDir = sources.length > 1 || /(^|\/)\.{0,2}$/.test(destRaw);
  const dest = path.posix.resolve(workdir, destRaw);
  if (sources.length > 1 && !destRaw.endsWith('/')) {
    throw new RecipeError(
      recipe.file,
      ins.line,
      `${ins.keyword} with several sources needs a destination ending in '/', got '${destRaw}'`,
    );
  }
  const step: Omit<CopyStep, 'line' | 'display' | 'args'> = { kind, sources, dest, destIsDir };
  if (chown) step.chown = chown;
  if (chmod !== undefined) step.chmod = chmod;
  return step;
}

/** Lexical checks on a COPY/ADD source; symlinks are checked against the real context at build time. */
function checkSource(recipe: ParsedRecipe, ins: RawInstruction, source: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.startsWith('git@')) {
    throw new RecipeError(recipe.file, ins.line, `${ins.keyword} from a URL is not supported: '${source}'`, {
      hint: 'download the file into the build context first and ADD or COPY it from there',
    });
  }
  if (source === '')
    throw new RecipeError(recipe.file, ins.line, `${ins.keyword} source is empty: expected a path in the context`);
  if (source.startsWith('/')) {
    throw new RecipeError(
      recipe.file,
      ins.line,
      `${ins.keyword} source '${source}' is absolute: expected a path relative to the build context`,
    );
  }
  const normalized = path.posix.normalize(source).replace(/\/+$/, '') || '.';
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new RecipeError(recipe.file, ins.line, `${ins.keyword} source '${source}' is outside the build context`, {
      hint: 'move the file into the context directory',
    });
  }
  return normalized;
}

function declareArgs(
  recipe: ParsedRecipe,
  instructions: RawInstruction[],
  initial: Record<string, string>,
  env: Record<string, string>,
  buildArgs: Record<string, string>,
  used?: Set<string>,
): Record<string, string> {
  const values = { ...initial };
  for (const ins of instructions) {
    for (const d of parseArgWords(recipe, ins, { ...values, ...env })) {
      used?.add(d.name);
      const value = buildArgs[d.name] ?? d.value;
      if (value === undefined) delete values[d.name];
      else values[d.name] = value;
    }
  }
  return values;
}

function parseArgWords(
  recipe: ParsedRecipe,
  ins: RawInstruction,
  vars: Record<string, string>,
): Array<{ name: string; value?: string }> {
  const words = wordsOf(recipe, ins);
  if (words.length === 0)
    throw new RecipeError(recipe.file, ins.line, 'ARG needs a name: expected ARG NAME or ARG NAME=default');
  return words.map((word) => {
    const eq = word.indexOf('=');
    const name = eq < 0 ? word : word.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new RecipeError(recipe.file, ins.line, `ARG name '${name}' is invalid: expected letters, digits and _`);
    }
    return eq < 0 ? { name } : { name, value: expand(recipe, ins, word.slice(eq + 1), vars) };
  });
}

/** ENV/LABEL arguments: `K=V K2="v 2"` or the legacy `K value with spaces`. */
function parseKeyValues(
  recipe: ParsedRecipe,
  ins: RawInstruction,
  vars: Record<string, string>,
): Array<[string, string]> {
  const words = wordsOf(recipe, ins);
  const what = ins.keyword === 'ENV' ? 'NAME=value' : 'key=value';
  if (words.length === 0) throw new RecipeError(recipe.file, ins.line, `${ins.keyword} needs at least one ${what}`);
  if (!words[0]!.includes('=')) {
    // Legacy form: the first word is the name, the rest of the line (as written) is the value.
    const name = expand(recipe, ins, words[0]!, vars);
    const rest = ins.text.slice(words[0]!.length).trim();
    if (rest === '') {
      throw new RecipeError(
        recipe.file,
        ins.line,
        `${ins.keyword} ${name} has no value: expected ${ins.keyword} ${what}`,
      );
    }
    return [[checkKey(recipe, ins, name), expand(recipe, ins, rest, vars)]];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw new RecipeError(recipe.file, ins.line, `${ins.keyword} expects ${what} pairs, got '${word}' without '='`);
    }
    const key = expand(recipe, ins, word.slice(0, eq), vars);
    return [checkKey(recipe, ins, key), expand(recipe, ins, word.slice(eq + 1), vars)];
  });
}

function checkKey(recipe: ParsedRecipe, ins: RawInstruction, key: string): string {
  if (key === '' || (ins.keyword === 'ENV' && /[\s=]/.test(key))) {
    throw new RecipeError(
      recipe.file,
      ins.line,
      `${ins.keyword} name '${key}' is invalid: expected a non-empty name without blanks or '='`,
    );
  }
  return key;
}

function oneWord(recipe: ParsedRecipe, ins: RawInstruction, vars: Record<string, string>, expected: string): string {
  const value = ins.text === '' ? '' : expand(recipe, ins, ins.text, vars);
  if (value.trim() === '') throw new RecipeError(recipe.file, ins.line, `${ins.keyword} needs ${expected}`);
  return value;
}

function commandArgv(recipe: ParsedRecipe, ins: RawInstruction): string[] {
  if (ins.json) {
    if (ins.json.length === 0 && ins.keyword === 'RUN') {
      throw new RecipeError(recipe.file, ins.line, 'RUN needs a command: got an empty exec form []');
    }
    return ins.json;
  }
  if (ins.text === '') {
    throw new RecipeError(
      recipe.file,
      ins.line,
      `${ins.keyword} needs a command: expected ${ins.keyword} ["prog", "arg"] or ${ins.keyword} shell command`,
    );
  }
  return ['/bin/sh', '-c', ins.text];
}

function words_(recipe: ParsedRecipe, ins: RawInstruction, vars: Record<string, string>): string[] {
  return wordsOf(recipe, ins).map((w) => expand(recipe, ins, w, vars));
}

function wordsOf(recipe: ParsedRecipe, ins: RawInstruction): string[] {
  try {
    return splitWords(ins.text, recipe.escapeChar);
  } catch (error) {
    throw asRecipeError(recipe, ins, error);
  }
}

function expand(recipe: ParsedRecipe, ins: RawInstruction, word: string, vars: Record<string, string>): string {
  try {
    return expandWord(word, vars, recipe.escapeChar);
  } catch (error) {
    throw asRecipeError(recipe, ins, error);
  }
}

function asRecipeError(recipe: ParsedRecipe, ins: RawInstruction, error: unknown): unknown {
  if (error instanceof WordError) return new RecipeError(recipe.file, ins.line, `${ins.keyword}: ${error.message}`);
  return error;
}

function displayOf(ins: RawInstruction): string {
  const flags = ins.flags.map((f) => `--${f.name}=${f.value} `).join('');
  return `${ins.keyword} ${flags}${ins.text}`.trim();
}
