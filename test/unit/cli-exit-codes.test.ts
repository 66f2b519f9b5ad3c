// The exit codes are documented where users look (README, `isobench --help`) from one source,
// src/errors.ts, so the documentation cannot drift from what the CLI does; and every command a
// message tells the user to run exists.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_TABLE } from '../../src/cli/command-table.js';
import { exitCodeRows, formatExitCodesMarkdown, formatExitCodesText } from '../../src/cli/exit-codes.js';
import { EXIT_ANSWER, EXIT_STATUS } from '../../src/errors.js';
import { packageDir } from '../../src/paths.js';
import { runCliInProcess } from '../fixtures/cli-in-process.js';

const README = path.join(packageDir(), 'README.md');

describe('the exit code table', () => {
  it('lists every status an error maps to, and 1 only as the answer "no"', () => {
    const listed = exitCodeRows().map((r) => r.status);
    for (const status of new Set(Object.values(EXIT_STATUS))) expect(listed).toContain(String(status));
    expect(Object.values(EXIT_STATUS)).not.toContain(EXIT_ANSWER.no);
    expect(listed.slice(0, 3)).toEqual(['0', '1', '2']);
    expect(listed.at(-1)).toBe('other');
  });

  it('is in the README exactly as generated from src/errors.ts', () => {
    const readme = readFileSync(README, 'utf8');
    const block = /<!-- exit-codes:begin -->\n([\s\S]*?)\n<!-- exit-codes:end -->/.exec(readme);
    expect(block, 'README.md needs the exit-codes:begin/end markers').not.toBeNull();
    // On a mismatch, paste formatExitCodesMarkdown() (the expected text below) between the markers.
    expect(block![1]).toBe(formatExitCodesMarkdown());
  });

  it('ends `isobench --help`', async () => {
    const result = await runCliInProcess(undefined, ['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout.endsWith(`\nExit codes:\n${formatExitCodesText()}\n`)).toBe(true);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('commands named in messages', () => {
  it('exist (a hint once named `isobench container rm`, which does not)', () => {
    const commands = new Set(COMMAND_TABLE.map((e) => e.path.join(' ')));
    const groups = new Set(COMMAND_TABLE.filter((e) => !e.load).map((e) => e.path[0]));
    const named: string[] = [];
    for (const file of sourceFiles(path.join(packageDir(), 'src'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/`isobench ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?/g)) {
        const [, first, second] = match;
        const command = groups.has(first!) ? `${first} ${second}` : first!;
        named.push(command);
        expect(commands.has(command), `${path.relative(packageDir(), file)} names \`isobench ${command}\``).toBe(true);
      }
    }
    expect(named.length).toBeGreaterThan(20);
  });
});
