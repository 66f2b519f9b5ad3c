// Turns recipe text into logical lines the way Docker's parser does: parser directives at the top,
// comments dropped, lines ending in the escape character joined with the next one.
import { RecipeError } from '../../errors.js';

/** Largest recipe file accepted, in bytes: a recipe is a short text, anything bigger is a mistake. */
export const MAX_RECIPE_BYTES = 1024 * 1024;

export interface LogicalLine {
  /** 1-based line where the logical line starts. */
  line: number;
  /** Joined text with the escape characters of continuations removed, leading whitespace trimmed. */
  text: string;
}

export interface SplitResult {
  escapeChar: '\\' | '`';
  lines: LogicalLine[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;

/**
 * Splits recipe text into logical lines. Throws RecipeError (file, line) for an over-long file,
 * a binary file, a bad `escape` directive or a continuation that runs off the end of the file.
 */
export function splitLogicalLines(file: string, text: string): SplitResult {
  if (Buffer.byteLength(text) > MAX_RECIPE_BYTES) {
    throw new RecipeError(file, 1, `recipe is larger than ${MAX_RECIPE_BYTES} bytes`, {
      hint: 'a Containerfile is a short text file; check that -f names the right file',
    });
  }
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const nul = physical.findIndex((l) => l.includes('\0'));
  if (nul >= 0) throw new RecipeError(file, nul + 1, 'recipe contains a NUL byte: expected a text file');

  let escapeChar: '\\' | '`' = '\\';
  let index = 0;
  // Directives: only at the very top, before any blank line, comment or instruction.
  const seen = new Set<string>();
  for (; index < physical.length; index++) {
    const match = DIRECTIVE.exec(physical[index]!);
    if (!match) break;
    const name = match[1]!.toLowerCase();
    const value = match[2]!;
    if (seen.has(name)) throw new RecipeError(file, index + 1, `directive '${name}' given twice`);
    seen.add(name);
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw new RecipeError(file, index + 1, `escape directive expects \\ or \`, got '${value}'`);
      }
      escapeChar = value;
    }
    // Other directives (syntax, check) have no meaning here and are ignored like comments.
  }

  const continuation = escapeChar === '\\' ? /\\[ \t]*$/ : /`[ \t]*$/;
  const lines: LogicalLine[] = [];
  while (index < physical.length) {
    const startLine = index + 1;
    const first = physical[index++]!.replace(/^[ \t]+/, '');
    if (first === '' || first.startsWith('#')) continue;
    let text = first;
    let open = continuation.test(text);
    while (open) {
      text = text.replace(continuation, '');
      if (index >= physical.length) {
        throw new RecipeError(file, startLine, 'line continuation at the end of the file: expected another line');
      }
      const next = physical[index++]!;
      const trimmed = next.replace(/^[ \t]+/, '');
      // Comment lines and empty lines inside a continuation are skipped, as Docker does.
      if (trimmed.startsWith('#') || trimmed.trim() === '') continue;
      open = continuation.test(next);
      text += next;
    }
    lines.push({ line: startLine, text: text.trim() });
  }
  return { escapeChar, lines };
}
