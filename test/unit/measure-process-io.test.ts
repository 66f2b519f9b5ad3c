import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProcessIo, readProcessIo, readProcessTreeIo } from '../../src/measure/process-io.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/proc');

describe('parseProcessIo', () => {
  it('reads the captured io of a process that wrote 4 MiB with fsync', async () => {
    expect(parseProcessIo(await readFile(path.join(FIXTURES, 'io'), 'utf8'))).toEqual({
      rcharBytes: 1687333,
      wcharBytes: 4195993,
      readBytes: 61440,
      writeBytes: 4198400,
    });
  });
});

describe('readProcessTreeIo on a fake /proc', () => {
  let procRoot: string;
  beforeEach(async () => {
    procRoot = await mkdtemp(path.join(os.tmpdir(), 'isobench-fakeproc-'));
  });
  afterEach(async () => {
    await rm(procRoot, { recursive: true, force: true });
  });

  async function addProcess(pid: number, children: number[], io: [number, number, number, number] | null) {
    await mkdir(path.join(procRoot, String(pid), 'task', String(pid)), { recursive: true });
    await writeFile(path.join(procRoot, String(pid), 'stat'), `${pid} (sh) S 1 1 1 0`);
    await writeFile(path.join(procRoot, String(pid), 'task', String(pid), 'children'), children.join(' '));
    if (io === null) return;
    const [rchar, wchar, read, write] = io;
    await writeFile(
      path.join(procRoot, String(pid), 'io'),
      `rchar: ${rchar}\nwchar: ${wchar}\nsyscr: 1\nsyscw: 1\nread_bytes: ${read}\nwrite_bytes: ${write}\ncancelled_write_bytes: 0\n`,
    );
  }

  it('sums the tree and skips a process whose io file vanished', async () => {
    await addProcess(5, [6, 7], [100, 200, 4096, 8192]);
    await addProcess(6, [], [1, 2, 3, 4]);
    await addProcess(7, [], null);
    expect(await readProcessTreeIo(5, { procRoot })).toEqual({
      pids: [5, 6],
      rcharBytes: 101,
      wcharBytes: 202,
      readBytes: 4099,
      writeBytes: 8196,
    });
    expect(await readProcessIo(7, { procRoot })).toBeUndefined();
  });
});
