// Parses recipe text into instructions (keyword, flags, arguments, exec-form JSON), checking the
// structure: one FROM, known instructions, known flags. Variables are substituted later (plan.ts).
import { RecipeError } from '../../errors.js';
import { splitLogicalLines } from './logical-lines.js';
import { type InstructionKeyword, type ParsedRecipe, type RawInstruction, SUPPORTED_KEYWORDS } from './types.js';

/** Flags each instruction accepts; anything else is a RecipeError naming these. */
const ALLOWED_FLAGS: Partial<Record<InstructionKeyword, string[]>> = {
  FROM: ['platform'],
  RUN: ['network'],
  COPY: ['chown', 'chmod', 'from'],
  ADD: ['chown', 'chmod'],
};

/** Instructions whose arguments may be a JSON array (exec form). */
const JSON_FORM = new Set<InstructionKeyword>(['RUN', 'CMD', 'ENTRYPOINT', 'COPY', 'ADD']);

/** Docker instructions we know but do not implement: a clearer message than "unknown". */
const KNOWN_UNSUPPORTED = new Set(['EXPOSE', 'VOLUME', 'HEALTHCHECK', 'SHELL', 'ONBUILD', 'MAINTAINER']);

/**
 * Parses a recipe. `file` is the name used in messages. Throws RecipeError(file, line, message)
 * for every structural problem; the recipe text is treated as hostile (size-limited, no NULs).
 */
export function parseRecipe(file: string, text: string): ParsedRecipe {
  const { escapeChar, lines } = splitLogicalLines(file, text);
  const globalArgs: RawInstruction[] = [];
  const instructions: RawInstruction[] = [];
  let from: RawInstruction | undefined;

  for (const logical of lines) {
    const instruction = parseInstruction(file, logical.line, logical.text);
    if (instruction.keyword === 'FROM') {
      if (from) {
        throw new RecipeError(file, instruction.line, `a second FROM (multi-stage build) is not supported`, {
          hint: `the first FROM is on line ${from.line}; build one stage per recipe`,
        });
      }
      from = instruction;
    } else if (!from) {
      if (instruction.keyword !== 'ARG') {
        throw new RecipeError(file, instruction.line, `expected FROM (or ARG) first, got ${instruction.keyword}`);
      }
      globalArgs.push(instruction);
    } else {
      instructions.push(instruction);
    }
  }
  if (!from) {
    throw new RecipeError(file, lines.at(-1)?.line ?? 1, 'no FROM instruction: expected FROM scratch or FROM <image>');
  }
  return { file, escapeChar, globalArgs, from, instructions };
}

function parseInstruction(file: string, line: number, text: string): RawInstruction {
  const match = /^(\S+)\s*(.*)$/s.exec(text)!;
  const word = match[1]!.toUpperCase();
  let rest = match[2]!;
  if (!(SUPPORTED_KEYWORDS as readonly string[]).includes(word)) {
    const what = KNOWN_UNSUPPORTED.has(word) ? 'unsupported' : 'unknown';
    throw new RecipeError(
      file,
      line,
      `${what} instruction '${match[1]}': expected one of ${SUPPORTED_KEYWORDS.join(', ')}`,
    );
  }
  const keyword = word as InstructionKeyword;

  const flags: RawInstruction['flags'] = [];
  for (;;) {
    const flag = /^--([A-Za-z][A-Za-z0-9-]*)(=(\S*))?(\s+|$)/.exec(rest);
    if (!flag) break;
    const name = flag[1]!;
    const allowed = ALLOWED_FLAGS[keyword] ?? [];
    if (!allowed.includes(name)) {
      const expected = allowed.length ? `expected ${allowed.map((f) => `--${f}`).join(', ')}` : 'it takes no flags';
      throw new RecipeError(file, line, `${keyword} does not support the flag --${name}: ${expected}`);
    }
    if (flag[2] === undefined || flag[3] === '') {
      throw new RecipeError(file, line, `${keyword} flag --${name} needs a value: expected --${name}=VALUE`);
    }
    flags.push({ name, value: flag[3]! });
    rest = rest.slice(flag[0].length);
  }
  rest = rest.trim();

  const instruction: RawInstruction = { keyword, line, flags, text: rest };
  if (JSON_FORM.has(keyword) && rest.startsWith('[') && rest.endsWith(']')) {
    instruction.json = parseJsonArray(file, line, keyword, rest);
  }
  return instruction;
}

function parseJsonArray(file: string, line: number, keyword: string, text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RecipeError(
      file,
      line,
      `${keyword} exec form is not valid JSON (${(error as Error).message}): expected an array of double-quoted strings like ["cmd", "arg"]`,
      { hint: 'use double quotes inside the brackets, or write the shell form without brackets' },
    );
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new RecipeError(file, line, `${keyword} exec form must be a JSON array of strings, got ${text}`);
  }
  return value;
}
