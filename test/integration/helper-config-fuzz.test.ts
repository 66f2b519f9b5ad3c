// A bounded, deterministic run of the config parser's fuzz target (scripts/fuzz-config.mjs): the
// committed seeds, then 100 000 inputs from seed 1 under ASan and UBSan. The same inputs on every
// machine, so a failure here replays with the same command; `npm run fuzz:config` explores longer.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageDir } from '../../src/paths.js';
import { requireHost } from '../support/host.js';

await requireHost('clang');

describe('fuzzing the helper config parser (needs clang and libclang-rt-dev: scripts/setup.sh)', () => {
  it('100 000 inputs from seed 1: no crash, leak, sanitizer report or broken invariant', async () => {
    const script = path.join(packageDir(), 'scripts', 'fuzz-config.mjs');
    const child = spawn(process.execPath, [script, '--runs', '100000', '--seed', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, tail: output.slice(-3000) }).toMatchObject({ code: 0 });
    expect(output).toMatch(/^Done 100000 runs in \d+ second\(s\)$/m);
  });
});
