import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readChildrenCpuMs } from '../../src/util/process.js';

describe('readChildrenCpuMs', () => {
  it('sums cutime and cstime (fields 16 and 17) in ms, with a comm holding spaces and parentheses', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-proc-'));
    try {
      await fs.mkdir(path.join(root, 'self'));
      // Fields 3..17: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
      await fs.writeFile(path.join(root, 'self', 'stat'), '42 (a b) c)) S 1 42 42 0 -1 0 0 0 0 0 7 3 250 120 20 0\n');
      expect(readChildrenCpuMs(root)).toBe(3700);
      expect(readChildrenCpuMs(path.join(root, 'missing'))).toBeUndefined();
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it('grows by the CPU a waited-for child burnt', () => {
    const before = readChildrenCpuMs()!;
    execFileSync('sh', ['-c', 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done']);
    expect(readChildrenCpuMs()!).toBeGreaterThan(before);
  });
});
