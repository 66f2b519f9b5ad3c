import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listProcessTree, parseStatPpid } from '../../src/measure/process-tree.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/proc');

describe('parseStatPpid', () => {
  it('reads the ppid of the captured stat line', async () => {
    expect(parseStatPpid(await readFile(path.join(FIXTURES, 'stat'), 'utf8'))).toBe(11190);
  });

  it('is not fooled by spaces and parentheses in comm', () => {
    expect(parseStatPpid('77 (a) b (c)) R 55 77 77 0 -1')).toBe(55);
  });

  it('gives undefined for garbage', () => {
    expect(parseStatPpid('no parenthesis here')).toBeUndefined();
  });
});

describe('listProcessTree without children files (ppid scan fallback)', () => {
  let procRoot: string;

  async function addProcess(pid: number, ppid: number) {
    await mkdir(path.join(procRoot, String(pid), 'task', String(pid)), { recursive: true });
    await writeFile(path.join(procRoot, String(pid), 'stat'), `${pid} (x y) S ${ppid} 1 1 0`);
  }

  beforeEach(async () => {
    procRoot = await mkdtemp(path.join(os.tmpdir(), 'isobench-fakeproc-'));
  });
  afterEach(async () => {
    await rm(procRoot, { recursive: true, force: true });
  });

  it('finds descendants breadth-first and ignores other trees and non-pid entries', async () => {
    await addProcess(10, 1);
    await addProcess(11, 10);
    await addProcess(12, 10);
    await addProcess(13, 12);
    await addProcess(20, 1);
    await mkdir(path.join(procRoot, 'self'));
    await writeFile(path.join(procRoot, 'meminfo'), 'MemTotal: 1 kB\n');
    expect(await listProcessTree(10, { procRoot })).toEqual([10, 11, 12, 13]);
    expect(await listProcessTree(12, { procRoot })).toEqual([12, 13]);
    expect(await listProcessTree(99, { procRoot })).toEqual([]);
  });

  it('uses the children files when present', async () => {
    await addProcess(10, 1);
    await addProcess(11, 10);
    // The children file is authoritative: a stat ppid is not consulted when it exists.
    await writeFile(path.join(procRoot, '10', 'task', '10', 'children'), '11 ');
    await writeFile(path.join(procRoot, '11', 'task', '11', 'children'), '');
    await addProcess(12, 10);
    expect(await listProcessTree(10, { procRoot })).toEqual([10, 11]);
  });
});
