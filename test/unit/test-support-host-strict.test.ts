// The CI contract of test/support/host.ts, run for real: a test file whose host lacks something the
// set-up provides (here QEMU, hidden by an empty PATH) is skipped with the reason on a developer's
// machine, and FAILS the run under ISOBENCH_TESTS_STRICT=1, which .ci/run sets: CI can never pass
// by skipping.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDir } from '../../src/paths.js';
import { STRICT_ENV } from '../support/host.js';

const VITEST = path.join(packageDir(), 'node_modules', 'vitest', 'vitest.mjs');
const CONFIG = path.join('test', 'fixtures', 'host-skip', 'vitest.config.ts');
const LACK = 'qemu-system-x86_64 not found (run bash scripts/setup.sh)';

let emptyPath: string;
beforeAll(async () => {
  emptyPath = await mkdtemp(path.join(os.tmpdir(), 'isobench-empty-path-'));
});
afterAll(async () => {
  if (emptyPath) await rm(emptyPath, { recursive: true, force: true });
});

/** Runs the fixture file in its own vitest with no tool on PATH; its exit status and output. */
async function runFixture(strict: boolean): Promise<{ status: number; output: string }> {
  const env: NodeJS.ProcessEnv = { HOME: process.env.HOME, PATH: emptyPath, NO_COLOR: '1', CI: '1' };
  if (strict) env[STRICT_ENV] = '1';
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [VITEST, 'run', '--config', CONFIG], {
      cwd: packageDir(),
      env,
    });
    return { status: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { status: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('a test file whose host lacks what the set-up provides', () => {
  it('is skipped with the reason outside CI (and the run passes)', async () => {
    const { status, output } = await runFixture(false);
    expect(output).toContain('Skipped because this host lacks what they need');
    expect(output).toContain(`1 test in 1 file: ${LACK}`);
    expect(status).toBe(0);
  });

  it(`fails the run under ${STRICT_ENV}=1, as .ci/run sets it`, async () => {
    const { status, output } = await runFixture(true);
    expect(output).toContain(`${LACK}; ${STRICT_ENV}=1 (CI) forbids skipping for what the set-up provides`);
    expect(output).not.toContain('Skipped because this host lacks');
    expect(status).not.toBe(0);
  });

  it('is what CI runs: .ci/run sets the strict variable before npm test', async () => {
    const script = await readFile(path.join(packageDir(), '.ci', 'run'), 'utf8');
    const strictAt = script.indexOf(`export ${STRICT_ENV}=1`);
    expect(strictAt).toBeGreaterThan(-1);
    expect(script.indexOf('npm test', strictAt)).toBeGreaterThan(strictAt);
  });
});
