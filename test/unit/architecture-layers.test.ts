// Enforces the layering of src/ (ARCHITECTURE.md): a module imports only from its own layer or
// the layers below, and the top folders of src/ import each other without a cycle. Every static
// import and export-from, `import type`, `import('...')` and `typeof import('...')` of every .ts
// file under src/ is read with the TypeScript parser, so a new file or folder cannot slip by.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/**
 * Lowest first. A unit is a top folder of src/ or a file directly in src/. NOTE: keep in step with
 * the table in ARCHITECTURE.md; a new top folder or root file must be placed here.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'paths.ts', 'vocabulary.ts', 'metric-definitions.ts'],
  ['util', 'stats', 'measure'],
  ['image', 'container', 'vm'],
  ['targets', 'scenario', 'host'],
  ['suite'],
  ['results'],
  ['report'],
  ['cli'],
];

/** Folders of src/ that hold no TypeScript (the probe is a C program every target runs). */
const NOT_TYPESCRIPT = new Set(['probe']);

interface ImportEdge {
  /** Importing file, relative to src/. */
  file: string;
  /** The module specifier as written. */
  specifier: string;
  /** Line of the import, 1-based. */
  line: number;
  /** The imported file's path relative to src/ (a relative specifier resolved), else undefined. */
  target?: string;
}

/** Every static and dynamic module reference of one file's source text. */
function readImports(file: string, text: string): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined) => {
    if (!specifier) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    if (!ts.isStringLiteralLike(specifier)) {
      edges.push({ file, line, specifier: `<not a string literal: ${specifier.getText(source)}>` });
      return;
    }
    const edge: ImportEdge = { file, line, specifier: specifier.text };
    if (specifier.text.startsWith('.')) {
      edge.target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier.text));
    }
    edges.push(edge);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal as ts.Expression);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** The unit (top folder, or root file) a path relative to src/ belongs to, '..' when outside src/. */
function unitOf(relative: string): string {
  const parts = relative.split('/');
  if (parts[0] === '..') return '..';
  return parts.length === 1 ? parts[0]!.replace(/\.js$/, '.ts') : parts[0]!;
}

/** Lower-layer-to-higher-layer imports, each as one line naming the file, line and import. */
function findUpwardImports(edges: readonly ImportEdge[], layers: readonly (readonly string[])[]): string[] {
  const rank = new Map(layers.flatMap((units, index) => units.map((unit) => [unit, index] as const)));
  const problems: string[] = [];
  for (const edge of edges) {
    const from = unitOf(edge.file);
    if (edge.target === undefined) {
      if (edge.specifier.startsWith('<')) problems.push(`${edge.file}:${edge.line} imports ${edge.specifier}`);
      continue;
    }
    const to = unitOf(edge.target);
    if (to === '..') {
      problems.push(`${edge.file}:${edge.line} imports '${edge.specifier}', outside src/`);
      continue;
    }
    const fromRank = rank.get(from);
    const toRank = rank.get(to);
    if (fromRank === undefined || toRank === undefined) {
      const unknown = fromRank === undefined ? from : to;
      problems.push(`${edge.file}:${edge.line}: '${unknown}' is in no layer: place it in LAYERS and ARCHITECTURE.md`);
    } else if (toRank > fromRank) {
      problems.push(
        `${edge.file}:${edge.line} imports '${edge.specifier}': ${from} (layer ${fromRank}) may not import ${to} (layer ${toRank}, above it)`,
      );
    }
  }
  return problems;
}

/** Cycles between units, each as the units in order and one import that makes each step. */
function findUnitCycles(edges: readonly ImportEdge[]): string[] {
  const graph = new Map<string, Map<string, ImportEdge>>();
  for (const edge of edges) {
    if (edge.target === undefined) continue;
    const from = unitOf(edge.file);
    const to = unitOf(edge.target);
    if (from === to || to === '..') continue;
    const out = graph.get(from) ?? new Map<string, ImportEdge>();
    if (!out.has(to)) out.set(to, edge);
    graph.set(from, out);
  }
  const cycles: string[] = [];
  const seen = new Set<string>();
  // A cycle through `start` made only of units not yet reported: depth-first, shortest paths first.
  for (const start of [...graph.keys()].sort()) {
    const queue: string[][] = [[start]];
    while (queue.length > 0) {
      const route = queue.shift()!;
      for (const [next] of graph.get(route.at(-1)!) ?? []) {
        if (next === start) {
          const key = [...route].sort().join(',');
          if (seen.has(key)) continue;
          seen.add(key);
          const steps = route.map((unit, i) => {
            const edge = graph.get(unit)!.get(route[i + 1] ?? start)!;
            return `${edge.file}:${edge.line} imports '${edge.specifier}'`;
          });
          cycles.push(`${[...route, start].join(' -> ')} (${steps.join('; ')})`);
        } else if (!route.includes(next) && route.length < 8) {
          queue.push([...route, next]);
        }
      }
    }
  }
  return cycles;
}

function listSourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(SRC, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

describe('the layers of src/', () => {
  const files = listSourceFiles(SRC);
  const edges = files.flatMap((file) => readImports(file, readFileSync(path.join(SRC, file), 'utf8')));

  it('reads the imports of every file', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.filter((edge) => edge.target !== undefined).length).toBeGreaterThan(500);
  });

  it('places every top folder and root file of src/ in a layer', () => {
    const placed = new Set(LAYERS.flat());
    const units = [...new Set(files.map(unitOf))].filter((unit) => !placed.has(unit));
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory() && !placed.has(e.name));
    expect(units).toEqual([]);
    expect(folders.map((e) => e.name).filter((name) => !NOT_TYPESCRIPT.has(name))).toEqual([]);
  });

  it('imports only from the same layer or below', () => {
    expect(findUpwardImports(edges, LAYERS)).toEqual([]);
  });

  it('has no import cycle between top folders', () => {
    expect(findUnitCycles(edges)).toEqual([]);
  });
});

describe('the layer check itself', () => {
  it('finds static, type-only, re-exported and dynamic imports', () => {
    const text = [
      "import { a } from '../util/a.js';",
      "import type { B } from '../cli/b.js';",
      "export { c } from './c.js';",
      "const d = await import('../report/d.js');",
      "type E = typeof import('../suite/e.js');",
      'const f = await import(name);',
    ].join('\n');
    expect(readImports('scenario/x.ts', text).map((e) => [e.line, e.target ?? e.specifier])).toEqual([
      [1, 'util/a.js'],
      [2, 'cli/b.js'],
      [3, 'scenario/c.js'],
      [4, 'report/d.js'],
      [5, 'suite/e.js'],
      [6, '<not a string literal: name>'],
    ]);
  });

  it('names the file, line and import that goes up a layer', () => {
    const edges = readImports('results/history.ts', "import { x } from '../report/units.js';\n");
    expect(findUpwardImports(edges, LAYERS)).toEqual([
      "results/history.ts:1 imports '../report/units.js': results (layer 5) may not import report (layer 6, above it)",
    ]);
  });

  it('names the imports that close a cycle between folders of one layer', () => {
    const edges = [
      ...readImports('image/recipe/build.ts', "import { run } from '../../container/ephemeral.js';\n"),
      ...readImports('container/runtime.ts', "import { ImageStore } from '../image/store.js';\n"),
    ];
    expect(findUpwardImports(edges, LAYERS)).toEqual([]);
    expect(findUnitCycles(edges)).toEqual([
      "container -> image -> container (container/runtime.ts:1 imports '../image/store.js'; image/recipe/build.ts:1 imports '../../container/ephemeral.js')",
    ]);
  });
});
