import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageDir } from '../../src/paths.js';

const execFileAsync = promisify(execFile);

// Each bench entry point, as `npm run bench:<name>` runs it (dist/bench after `npm run build`),
// with a bad option of each kind: unknown, a malformed value, a missing value.
const CASES: Array<{ script: string; malformed: string[]; option: string }> = [
  { script: 'harness', malformed: ['--runs', '0'], option: '--runs' },
  { script: 'runtime', malformed: ['--warmup', 'three'], option: '--warmup' },
  { script: 'truth', malformed: ['--only', 'startup,disk'], option: '--only' },
  { script: 'vm', malformed: ['--machine', 'pc'], option: '--machine' },
  { script: 'profile-launch', malformed: ['--n', '1.5'], option: '--n' },
  { script: 'repeat', malformed: ['--goal', '2'], option: '--goal' },
];

async function runBench(script: string, args: string[]) {
  const file = path.join(packageDir(), 'dist', 'bench', `${script}.js`);
  expect(existsSync(file), 'run npm run build first').toBe(true);
  return execFileAsync(process.execPath, [file, ...args], { timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

// Each case is its own node process: they run side by side.
describe.concurrent('bench scripts given a bad option', () => {
  for (const { script, malformed, option } of CASES) {
    for (const [kind, args, names] of [
      ['an unknown option', ['--bogus'], '--bogus'],
      ['a malformed value', malformed, option],
      ['a missing value', [malformed[0]!], option],
    ] as const) {
      it(`bench:${script} answers ${kind} with one line and exit 2, before doing anything`, async ({ expect }) => {
        const result = await runBench(script, [...args]);
        expect(result.code).toBe(2);
        expect(result.stdout).toBe('');
        const lines = result.stderr.split('\n').filter((line) => line !== '');
        expect(lines, result.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^bench:${script}: `));
        expect(lines[0]).toContain(names);
        if (kind === 'a malformed value') expect(lines[0]).toContain(`got '${args[1]}'`);
        expect(lines[0]).toContain(`npm run bench:${script} -- --help`);
      });
    }
  }

  it('bench:truth names a bad pair of valid options the same way', async ({ expect }) => {
    const result = await runBench('truth', ['--vm-small', '300', '--vm-large', '50']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'bench:truth: expected --vm-large (50) to be more than --vm-small (300); see `npm run bench:truth -- --help`\n',
    );
  });

  it('prints the usage on --help and exits 0', async ({ expect }) => {
    const result = await runBench('harness', ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: npm run bench:harness -- [options]');
    expect(result.stdout).toContain('--sampler-seconds <n>');
  });
});
