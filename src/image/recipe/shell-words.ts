// The small shell-like lexer Docker applies to instruction arguments: word splitting that keeps
// quotes, then quote removal with variable substitution ($VAR, ${VAR}, ${VAR:-x}, ${VAR:+x}).
// NOTE: substitution never splits a word into several (unlike a real shell).

/** Thrown for malformed words; the parser turns it into a RecipeError with file and line. */
export class WordError extends Error {}

/**
 * Splits `text` at unquoted blanks. Quotes and escape characters are kept in the words (they are
 * removed later by expandWord). Throws WordError for an unterminated quote.
 */
export function splitWords(text: string, escapeChar: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      current += ch;
      if (ch === escapeChar && quote === '"' && i + 1 < text.length) {
        current += text[++i];
      } else if (ch === quote) {
        quote = undefined;
      }
      continue;
    }
    if (ch === ' ' || ch === '\t') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
      continue;
    }
    inWord = true;
    current += ch;
    if (ch === escapeChar && i + 1 < text.length) {
      current += text[++i];
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    }
  }
  if (quote) throw new WordError(`unterminated ${quote === '"' ? 'double' : 'single'} quote in: ${text}`);
  if (inWord) words.push(current);
  return words;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Removes quotes and escapes from one word and substitutes variables from `vars`; an unset
 * variable becomes the empty string. Throws WordError for `${` without `}` or an unknown modifier.
 */
export function expandWord(word: string, vars: Readonly<Record<string, string>>, escapeChar: string): string {
  let out = '';
  let i = 0;
  const readVariable = (): string => {
    // word[i] is '$'
    const next = word[i + 1];
    if (next === '{') {
      const close = findClosingBrace(word, i + 2);
      if (close < 0) throw new WordError(`missing '}' in: ${word}`);
      const body = word.slice(i + 2, close);
      i = close + 1;
      return expandBraced(body, vars, escapeChar, word);
    }
    if (next !== undefined && NAME_START.test(next)) {
      let end = i + 1;
      while (end < word.length && NAME_CHAR.test(word[end]!)) end++;
      const name = word.slice(i + 1, end);
      i = end;
      return vars[name] ?? '';
    }
    i++;
    return '$';
  };
  while (i < word.length) {
    const ch = word[i]!;
    if (ch === escapeChar) {
      if (i + 1 < word.length) out += word[i + 1];
      i += 2;
    } else if (ch === "'") {
      const close = word.indexOf("'", i + 1);
      if (close < 0) throw new WordError(`unterminated single quote in: ${word}`);
      out += word.slice(i + 1, close);
      i = close + 1;
    } else if (ch === '"') {
      i++;
      for (;;) {
        if (i >= word.length) throw new WordError(`unterminated double quote in: ${word}`);
        const c = word[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === escapeChar && i + 1 < word.length) {
          const n = word[i + 1]!;
          // Inside double quotes the escape only protects $, " and itself, as in a shell.
          out += n === '$' || n === '"' || n === escapeChar ? n : c + n;
          i += 2;
        } else if (c === '$') {
          out += readVariable();
        } else {
          out += c;
          i++;
        }
      }
    } else if (ch === '$') {
      out += readVariable();
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

function findClosingBrace(word: string, from: number): number {
  let depth = 1;
  for (let i = from; i < word.length; i++) {
    if (word[i] === '{' && word[i - 1] === '$') depth++;
    else if (word[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function expandBraced(body: string, vars: Readonly<Record<string, string>>, escapeChar: string, word: string): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?$/s.exec(body);
  if (!match) {
    throw new WordError(
      `unsupported substitution '\${${body}}' in: ${word} (expected \${NAME}, \${NAME:-default} or \${NAME:+alternative})`,
    );
  }
  const name = match[1]!;
  const op = match[2];
  const value = vars[name];
  if (op === undefined) return value ?? '';
  const operand = () => expandWord(match[3] ?? '', vars, escapeChar);
  switch (op) {
    case ':-':
      return value === undefined || value === '' ? operand() : value;
    case '-':
      return value === undefined ? operand() : value;
    case ':+':
      return value === undefined || value === '' ? '' : operand();
    default: // '+'
      return value === undefined ? '' : operand();
  }
}
