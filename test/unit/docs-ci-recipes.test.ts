// The CI recipes in docs/ci/ are copied into other projects' pipelines, so each must be valid YAML
// of its service's shape, and every isobench command line in it must parse with the command's
// real declaration (command, options, choices, arguments): a renamed flag fails here, not in
// someone's CI. It also checks that each recipe gates on `compare`, propagating its status.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMAND_TABLE } from '../../src/cli/command-table.js';
import { packageDir } from '../../src/paths.js';

const DOCS = path.join(packageDir(), 'docs', 'ci');

/** The shell words of one simple command (quotes removed, variables left as written). */
function shellWords(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/** Every `bin/isobench ...` invocation (after an optional sudo) in `scripts`, as its arguments. */
function isobenchInvocations(scripts: string[]): string[][] {
  const simple = scripts.flatMap((script) => script.split(/\n|&&|\|\||;|\|/));
  return simple
    .map((command) => shellWords(command.trim()))
    .map((words) => (words[0] === 'sudo' ? words.slice(1) : words))
    .filter((words) => words[0] === 'bin/isobench')
    .map((words) => words.slice(1));
}

/**
 * Parses `args` as the CLI would (global --root, then the command's own declaration) without
 * running anything. Returns the command's path. @throws commander's error for a bad line.
 */
async function parseInvocation(args: string[]): Promise<string> {
  const rest = args[0] === '--root' ? args.slice(2) : [...args];
  const entry = [...COMMAND_TABLE]
    .filter((e) => e.load !== undefined && e.path.every((word, i) => rest[i] === word))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (entry?.load === undefined) throw new Error(`no isobench command in: ${args.join(' ')}`);
  const { cli } = await entry.load();
  const command = cli
    .define(new Command(entry.path.join(' ')))
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .action(() => undefined);
  await command.parseAsync(rest.slice(entry.path.length), { from: 'user' });
  return entry.path.join(' ');
}

function load(file: string): Record<string, unknown> {
  return parse(readFileSync(path.join(DOCS, file), 'utf8')) as Record<string, unknown>;
}

/** The `bash scripts/...` files a script runs, which must exist in the repository. */
function scriptFiles(scripts: string[]): string[] {
  return [...scripts.join('\n').matchAll(/\bbash (scripts\/\S+)/g)].map((m) => m[1]!);
}

describe('docs/ci/github-actions.yml', () => {
  const workflow = load('github-actions.yml') as {
    on: unknown;
    jobs: Record<string, { 'runs-on': string; steps: Array<{ run?: string; uses?: string }> }>;
  };
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  const scripts = steps.flatMap((step) => (step.run === undefined ? [] : [step.run]));

  it('is a workflow: triggers, and jobs with a runner and steps', () => {
    expect(workflow.on).toBeDefined();
    for (const job of Object.values(workflow.jobs)) {
      expect(job['runs-on']).toEqual(expect.any(String));
      for (const step of job.steps) expect(step.run !== undefined || step.uses !== undefined).toBe(true);
    }
  });

  it('calls only commands and options that exist, and scripts in the repository', async () => {
    const called = await Promise.all(isobenchInvocations(scripts).map(parseInvocation));
    expect(called).toEqual(['suite run', 'compare']);
    for (const file of scriptFiles(scripts)) expect(existsSync(path.join(packageDir(), file))).toBe(true);
  });

  it('writes the comparison to the job summary and fails with compare', () => {
    const gate = scripts.find((s) => /bin\/isobench compare/.test(s))!;
    expect(gate).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(gate).toMatch(/\|\| status=\$\?[\s\S]*exit "\$status"/);
  });
});

describe('docs/ci/gitlab-ci.yml', () => {
  const pipeline = load('gitlab-ci.yml') as Record<string, { script?: string[]; before_script?: string[] }>;
  const jobs = Object.values(pipeline).filter((job) => Array.isArray(job.script));
  const scripts = jobs.flatMap((job) => [...(job.before_script ?? []), ...job.script!]);

  it('has a job with a script', () => {
    expect(jobs.length).toBeGreaterThan(0);
  });

  it('calls only commands and options that exist, and scripts in the repository', async () => {
    const called = await Promise.all(isobenchInvocations(scripts).map(parseInvocation));
    expect(called).toEqual(['suite run', 'compare', 'compare']);
    for (const file of scriptFiles(scripts)) expect(existsSync(path.join(packageDir(), file))).toBe(true);
  });

  it('compares against the history and fails with compare', () => {
    const gate = scripts.find((s) => /bin\/isobench compare/.test(s))!;
    expect(gate).toContain('--against history');
    expect(gate).toMatch(/\|\| status=\$\?[\s\S]*exit "\$status"/);
  });
});

describe('the recipe check itself', () => {
  it('refuses an option or choice the command does not declare', async () => {
    await expect(parseInvocation(['compare', '--bogus', 'a', 'b'])).rejects.toThrow(/unknown option '--bogus'/);
    await expect(parseInvocation(['compare', '--format', 'xml', 'a', 'b'])).rejects.toThrow(/Allowed choices/);
    await expect(parseInvocation(['suite', 'walk'])).rejects.toThrow(/no isobench command/);
    await expect(parseInvocation(['nosuch'])).rejects.toThrow(/no isobench command/);
  });
});
