// Native target helpers: argv[0] resolution (probe name, path, PATH search) and exit codes.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/targets/child-exit.js';
import { resolveNativeProgram } from '../../src/targets/native.js';

describe('resolveNativeProgram', () => {
  let dir: string;
  const savedProbe = process.env.ISOBENCH_PROBE;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-native-resolve-'));
    await fs.writeFile(path.join(dir, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    await fs.writeFile(path.join(dir, 'plain'), 'not executable', { mode: 0o644 });
    await fs.mkdir(path.join(dir, 'adir'));
  });

  afterAll(async () => {
    if (savedProbe === undefined) delete process.env.ISOBENCH_PROBE;
    else process.env.ISOBENCH_PROBE = savedProbe;
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('maps isobench-probe to ISOBENCH_PROBE (the build/ binary by default)', async () => {
    process.env.ISOBENCH_PROBE = path.join(dir, 'tool');
    expect(await resolveNativeProgram('isobench-probe', '/nonexistent')).toBe(path.join(dir, 'tool'));
    process.env.ISOBENCH_PROBE = path.join(dir, 'missing');
    expect(await resolveNativeProgram('isobench-probe', dir)).toBeUndefined();
  });

  it('searches PATH entries in order and skips non-executables and directories', async () => {
    expect(await resolveNativeProgram('tool', `/nonexistent:${dir}`)).toBe(path.join(dir, 'tool'));
    expect(await resolveNativeProgram('plain', dir)).toBeUndefined();
    expect(await resolveNativeProgram('adir', dir)).toBeUndefined();
  });

  it('takes a path with a slash as is', async () => {
    expect(await resolveNativeProgram(path.join(dir, 'tool'), '')).toBe(path.join(dir, 'tool'));
  });
});

describe('exitCodeOf', () => {
  it('is the code, or 128 + the signal number', () => {
    expect(exitCodeOf(3, null)).toBe(3);
    expect(exitCodeOf(null, 'SIGKILL')).toBe(137);
    expect(exitCodeOf(null, 'SIGTERM')).toBe(143);
  });
});
