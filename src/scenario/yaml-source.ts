// Reads a scenario file as hostile text (size cap, no aliases, no custom tags) into a YAML document
// whose nodes can be mapped back to line numbers for ScenarioError(file, line, ...).
import { promises as fs } from 'node:fs';
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml';
import { NotFoundError, ScenarioError } from '../errors.js';

/** Largest scenario file accepted, in bytes. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;

const HINT = 'see scenarios/README.md for the format';

/** A parsed scenario file: its plain value, and the document to locate paths in. */
export interface YamlSource {
  file: string;
  value: unknown;
  /** 1-based line of the node at `path` (the key's line for mapping values); nearest existing parent if absent. */
  lineOf(path: ReadonlyArray<PropertyKey>): number;
  /** 1-based line of the key `key` inside the mapping at `path`. */
  lineOfKey(path: ReadonlyArray<PropertyKey>, key: string): number;
}

/** Reads `file` (a regular file of at most MAX_SCENARIO_BYTES) as UTF-8 text. */
export async function readScenarioText(file: string): Promise<string> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`scenario file ${file} not found`, { hint: 'list scenarios/ for the shipped scenarios' });
    }
    throw error;
  }
  // A FIFO or device would block or never end: only regular files are read.
  if (!stat.isFile()) throw new ScenarioError(file, 1, 'expected a regular file', { hint: HINT });
  const handle = await fs.open(file, 'r');
  try {
    // Read one byte past the cap so a file that grew after stat() is still caught.
    const buffer = Buffer.alloc(MAX_SCENARIO_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_SCENARIO_BYTES) {
        throw new ScenarioError(file, 1, `file too large: expected at most ${MAX_SCENARIO_BYTES} bytes`, {
          hint: HINT,
        });
      }
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw new ScenarioError(file, 1, 'expected UTF-8 text', { hint: HINT });
    }
  } finally {
    await handle.close();
  }
}

/** Parses YAML text; every syntax problem, alias or unknown tag becomes a ScenarioError at its line. */
export function parseYamlSource(file: string, text: string): YamlSource {
  checkNesting(file, text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    schema: 'core',
    merge: false,
  });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    // An unclosed quote or bracket is detected where the text ends: report the line it opens on.
    const detectedLine = lineAt(problem.pos[0]);
    const opener = findUnclosedOpener(doc, problem.pos[0]);
    const line = opener === undefined ? detectedLine : lineAt(opener);
    const detected = line === detectedLine ? '' : ` (opened here, still open on line ${detectedLine})`;
    throw new ScenarioError(file, line, `invalid YAML: ${firstLine(problem.message)}${detected}`, {
      hint: 'fix the YAML syntax (indent with spaces, close brackets and quotes)',
    });
  }
  // Aliases let a small file expand into a huge value (billion laughs); the format has `defaults` instead.
  visit(doc, {
    Alias(_key, node) {
      throw new ScenarioError(
        file,
        lineAt(node.range?.[0] ?? 0),
        'aliases (*name) are not supported: expected plain values',
        {
          hint: 'write the value out, or put shared settings under defaults:',
        },
      );
    },
  });
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    throw new ScenarioError(
      file,
      1,
      'empty scenario: expected a mapping with schemaVersion, name, description and cases',
      {
        hint: HINT,
      },
    );
  }
  return {
    file,
    value: doc.toJS({ maxAliasCount: 0 }),
    lineOf: (path) => lineAt(locate(doc, path)),
    lineOfKey: (path, key) => {
      const node = nodeAt(doc, path).node;
      const pair = isMap(node) ? node.items.find((item) => keyText(item.key) === key) : undefined;
      return lineAt(rangeStart(pair?.key) ?? rangeStart(node) ?? 0);
    },
  };
}

/** Deepest indentation (columns) and flow nesting ([ {) accepted; real scenarios need a fraction. */
export const MAX_INDENT_COLUMNS = 120;
export const MAX_FLOW_DEPTH = 16;

/**
 * Rejects pathological nesting before the YAML parser sees it: the parser recurses per level, so a
 * deep enough file would exhaust the stack or the heap instead of failing cleanly.
 */
function checkNesting(file: string, text: string): void {
  const lines = text.split('\n');
  let depth = 0;
  let quote: '"' | "'" | undefined;
  for (const [index, line] of lines.entries()) {
    const indent = /^[ \t]*/.exec(line)![0].length;
    if (quote === undefined && indent > MAX_INDENT_COLUMNS) {
      throw new ScenarioError(
        file,
        index + 1,
        `indentation of ${indent} columns: expected at most ${MAX_INDENT_COLUMNS}`,
        {
          hint: HINT,
        },
      );
    }
    for (let column = 0; column < line.length; column++) {
      const char = line[column]!;
      if (quote === '"' && char === '\\') column += 1;
      else if (quote !== undefined) {
        if (char === quote) quote = undefined;
      } else if (char === '"' || char === "'") quote = char;
      else if (char === '#' && (column === 0 || /\s/.test(line[column - 1]!))) break;
      else if (char === '[' || char === '{') depth += 1;
      else if (char === ']' || char === '}') depth = Math.max(0, depth - 1);
      if (depth > MAX_FLOW_DEPTH) {
        throw new ScenarioError(
          file,
          index + 1,
          `[ ] and { } nested ${depth} deep: expected at most ${MAX_FLOW_DEPTH}`,
          {
            hint: HINT,
          },
        );
      }
    }
  }
}

/** Start offset of the innermost quoted scalar or flow collection that runs up to `offset`. */
function findUnclosedOpener(doc: Document, offset: number): number | undefined {
  let opener: number | undefined;
  visit(doc, (_key, node) => {
    const quoted = isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
    const flow = isCollection(node) && node.flow === true;
    const range = (node as Node).range;
    if (
      (quoted || flow) &&
      range &&
      range[0] < offset &&
      range[2] >= offset &&
      (opener === undefined || range[0] > opener)
    ) {
      opener = range[0];
    }
  });
  return opener;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

function keyText(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

function rangeStart(node: unknown): number | undefined {
  return node && typeof node === 'object' && 'range' in node ? (node as Node).range?.[0] : undefined;
}

/** Walks `path` as far as it exists; `via` is the key node of the last mapping step taken. */
function nodeAt(doc: Document, path: ReadonlyArray<PropertyKey>): { node: unknown; via: unknown; complete: boolean } {
  let node: unknown = doc.contents;
  let via: unknown;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) return { node, via, complete: false };
      via = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      via = undefined;
      node = node.items[segment];
    } else {
      return { node, via, complete: false };
    }
  }
  return { node, via, complete: true };
}

/** Offset to report for `path`: a mapping value is reported at its key (where the field is written). */
function locate(doc: Document, path: ReadonlyArray<PropertyKey>): number {
  const { node, via } = nodeAt(doc, path);
  if (isAlias(node)) return rangeStart(node) ?? 0;
  return rangeStart(via) ?? rangeStart(node) ?? 0;
}
