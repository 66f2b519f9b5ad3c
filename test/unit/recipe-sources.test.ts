import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecipeError } from '../../src/errors.js';
import { applyConfigStep, runEnvironment } from '../../src/image/recipe/apply-config.js';
import { computeStepKey } from '../../src/image/recipe/build-cache.js';
import { hashContextSources, resolveContextSources } from '../../src/image/recipe/context-sources.js';
import type { PlannedStep } from '../../src/image/recipe/types.js';

const site = { file: 'Containerfile', line: 4, keyword: 'COPY' };
let top: string;
let context: string;

beforeAll(async () => {
  top = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-recipe-sources-'));
  context = path.join(top, 'context');
  await fs.mkdir(path.join(context, 'etc'), { recursive: true });
  await fs.writeFile(path.join(context, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  await fs.writeFile(path.join(context, 'a.txt'), 'a');
  await fs.writeFile(path.join(context, 'b.txt'), 'b');
  await fs.writeFile(path.join(top, 'secret'), 'outside');
  await fs.symlink('../secret', path.join(context, 'leak'));
  await fs.symlink(top, path.join(context, 'updir'));
  await fs.symlink('a.txt', path.join(context, 'alias'));
});

afterAll(async () => {
  await fs.rm(top, { recursive: true, force: true });
});

async function refusal(patterns: string[]): Promise<RecipeError> {
  const error = await resolveContextSources(context, patterns, site).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RecipeError);
  return error as RecipeError;
}

describe('resolveContextSources', () => {
  it('refuses a symlink that points outside the context', async () => {
    const error = await refusal(['leak']);
    expect(error.line).toBe(4);
    expect(error.message).toBe(
      `Containerfile:4: COPY source 'leak' resolves to ${await fs.realpath(path.join(top, 'secret'))}, outside the build context`,
    );
  });

  it('refuses a path through a symlinked directory leading outside', async () => {
    const error = await refusal(['updir/secret']);
    expect(error.message).toMatch(
      /^Containerfile:4: COPY source 'updir\/secret' resolves to .*, outside the build context$/,
    );
  });

  it('names a missing source and hints at the set-up script', async () => {
    const error = await refusal(['busybox']);
    expect(error.message).toBe(
      `Containerfile:4: COPY source 'busybox' does not exist in the build context ${await fs.realpath(context)}`,
    );
    expect(error.hint).toContain('bash scripts/setup.sh');
  });

  it('reports a glob that matches nothing', async () => {
    expect((await refusal(['*.md'])).message).toBe(
      "Containerfile:4: COPY source '*.md' matches no file in the build context",
    );
  });

  it('expands globs in sorted order and follows in-context symlinks', async () => {
    const found = await resolveContextSources(context, ['*.txt', 'alias', 'etc'], site);
    const real = await fs.realpath(context);
    expect(found.map((s) => [s.rel, s.realPath])).toEqual([
      ['a.txt', path.join(real, 'a.txt')],
      ['b.txt', path.join(real, 'b.txt')],
      ['alias', path.join(real, 'a.txt')],
      ['etc', path.join(real, 'etc')],
    ]);
  });
});

describe('hashContextSources', () => {
  it('changes with content and mode, not with mtime', async () => {
    const file = path.join(context, 'etc', 'passwd');
    const hashOf = async () => hashContextSources(await resolveContextSources(context, ['etc'], site));
    const before = await hashOf();
    await fs.utimes(file, new Date(1000), new Date(1000));
    expect(await hashOf()).toBe(before);
    await fs.chmod(file, 0o600);
    const afterChmod = await hashOf();
    expect(afterChmod).not.toBe(before);
    await fs.chmod(file, 0o644);
    expect(await hashOf()).toBe(before);
    await fs.appendFile(file, 'x');
    expect(await hashOf()).not.toBe(before);
  });
});

describe('step keys and config', () => {
  const env: PlannedStep = { kind: 'env', line: 3, display: 'ENV A=1', args: {}, vars: [['A', '1']] };

  it('ignore line and display text but not values, parent or sources', () => {
    const key = computeStepKey('scratch', env);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(computeStepKey('scratch', { ...env, line: 9, display: 'env   A=1' })).toBe(key);
    expect(computeStepKey('scratch', { ...env, vars: [['A', '2']] })).not.toBe(key);
    expect(computeStepKey('other', env)).not.toBe(key);
    expect(computeStepKey('scratch', { ...env, args: { V: '1' } })).not.toBe(key);
    expect(computeStepKey('scratch', env, 'abc')).not.toBe(key);
    // SOURCE_DATE_EPOCH changes layer mtimes and times: part of the key only when set.
    expect(computeStepKey('scratch', env, undefined, undefined)).toBe(key);
    expect(computeStepKey('scratch', env, undefined, 0)).not.toBe(key);
    expect(computeStepKey('scratch', env, undefined, 1)).not.toBe(computeStepKey('scratch', env, undefined, 0));
  });

  it('applies config instructions', () => {
    let config = applyConfigStep({ Env: ['PATH=/bin', 'A=0'], Cmd: ['base'] }, env);
    config = applyConfigStep(config, { kind: 'workdir', line: 1, display: '', args: {}, path: '/w' });
    config = applyConfigStep(config, { kind: 'label', line: 1, display: '', args: {}, labels: [['k', 'v']] });
    config = applyConfigStep(config, { kind: 'user', line: 1, display: '', args: {}, user: '1000' });
    config = applyConfigStep(config, {
      kind: 'entrypoint',
      line: 1,
      display: '',
      args: {},
      argv: ['/e'],
      resetCmd: true,
    });
    expect(config).toEqual({
      Env: ['PATH=/bin', 'A=1'],
      WorkingDir: '/w',
      Labels: { k: 'v' },
      User: '1000',
      Entrypoint: ['/e'],
    });
  });

  it('gives RUN the ARGs, overridden by ENV, and a default PATH', () => {
    expect(runEnvironment({ Env: ['A=env'] }, { A: 'arg', B: 'arg' })).toEqual([
      'A=env',
      'B=arg',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ]);
  });
});
