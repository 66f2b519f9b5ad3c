// Turns a zod issue into one "expected <field> to be <form>; got <value>" sentence, with the valid
// keys and a did-you-mean suggestion for unknown keys.
import type { z } from 'zod';

type Path = ReadonlyArray<PropertyKey>;

/** Field name as written in messages: the last key, with trailing list indexes ("targets[2]"). */
export function describeField(path: Path): string {
  let end = path.length;
  let indexes = '';
  while (end > 0 && typeof path[end - 1] === 'number') {
    indexes = `[${String(path[end - 1])}]${indexes}`;
    end -= 1;
  }
  if (end === 0) return indexes ? `item ${indexes}` : 'the scenario';
  return `${String(path[end - 1])}${indexes}`;
}

/** Short rendering of a value the user wrote, for "got ...". */
export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** The value at `path` inside `root`, or undefined when a step is missing. */
export function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

const TYPE_WORDS: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  boolean: 'true or false',
};

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The expected form an issue describes, e.g. "one of startup, memory" or "at least 1". */
function expectedForm(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // A schema may name its type itself (schema.ts count()); zod's own messages start "Invalid input".
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      return TYPE_WORDS[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map(String).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `a list of at least ${plural(Number(issue.minimum), 'item')}`;
      if (issue.origin === 'string') return `at least ${plural(Number(issue.minimum), 'character')}`;
      return issue.inclusive ? `at least ${issue.minimum}` : `greater than ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `a list of at most ${plural(Number(issue.maximum), 'item')}`;
      if (issue.origin === 'string') return `at most ${plural(Number(issue.maximum), 'character')}`;
      return issue.inclusive ? `at most ${issue.maximum}` : `less than ${issue.maximum}`;
    default:
      // custom checks and regexes carry the expected form as their message (see schema.ts).
      return issue.message;
  }
}

/** Message for a value issue at `path`; `value` is what the file holds there (undefined = key absent). */
export function formatValueIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const field = describeField(issue.path);
  const form = expectedForm(issue);
  if (value === undefined) return `missing ${field}: expected ${form}`;
  return `expected ${field} to be ${form}; got ${describeValue(value)}`;
}

/** Message for an unknown key: the closest valid key if one is near, and all valid keys. */
export function formatUnknownKey(key: string, path: Path, validKeys: readonly string[], noun = 'key'): string {
  const where = path.length === 0 ? 'at the top level' : `in ${describeField(path)}`;
  const suggestion = suggestKey(key, validKeys);
  const mean = suggestion ? ` did you mean "${suggestion}"?` : '';
  return `unknown ${noun} "${key}" ${where}:${mean} expected one of ${validKeys.join(', ')}`;
}

/** The valid key closest to `key` (case-insensitive edit distance), when close enough to be a typo. */
export function suggestKey(key: string, validKeys: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of validKeys) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A third of the word may be wrong: catches "iteratons", not unrelated words.
  return bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/** Levenshtein distance (insert, delete, substitute), O(a*b); keys are short. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Keys a strict object schema allows at `path` (list indexes and optional wrappers are walked through). */
export function keysOfSchemaAt(schema: z.core.$ZodType, path: Path): string[] {
  let current: z.core.$ZodType | undefined = schema;
  const unwrap = (node: z.core.$ZodType | undefined): z.core.$ZodType | undefined => {
    let inner = node;
    for (;;) {
      const def = inner?._zod.def as { type?: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType } | undefined;
      if (def?.type === 'optional' || def?.type === 'default' || def?.type === 'nullable') inner = def.innerType;
      else if (def?.type === 'pipe') inner = def.in;
      else return inner;
    }
  };
  for (const segment of path) {
    const def = unwrap(current)?._zod.def as
      | { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType }
      | undefined;
    if (def?.type === 'object') current = def.shape?.[String(segment)];
    else if (def?.type === 'array') current = def.element;
    else return [];
  }
  const def = unwrap(current)?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
