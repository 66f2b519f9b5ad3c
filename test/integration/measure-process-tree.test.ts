import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProcessIo } from '../../src/measure/process-io.js';
import { readProcessTreeMemory } from '../../src/measure/process-memory.js';
import { listProcessTree } from '../../src/measure/process-tree.js';
import { startSampler } from '../../src/measure/sampler.js';

// Waits until the tree under pid has `count` processes (the shell forks its children asynchronously).
async function waitForTree(pid: number, count: number): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = await listProcessTree(pid);
    if (pids.length >= count || Date.now() > deadline) return pids;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Kills the whole process group, then waits for the shell to be reaped.
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await exited;
}

describe('process tree memory on real processes', () => {
  let tree: ChildProcess;
  let treePid: number;

  beforeAll(() => {
    // detached: its own process group, so cleanup kills the shell and both sleeps at once.
    tree = spawn('sh', ['-c', 'sleep 30 & sleep 30'], { detached: true, stdio: 'ignore' });
    treePid = tree.pid!;
  });
  afterAll(async () => {
    await killGroup(tree);
    // The sleeps share the group; none may survive the test.
    expect(await listProcessTree(treePid)).toEqual([]);
  });

  it('finds the shell and both sleeps and a non-zero PSS', async () => {
    const pids = await waitForTree(treePid, 3);
    expect(pids).toHaveLength(3);
    expect(pids[0]).toBe(treePid);
    const memory = await readProcessTreeMemory(treePid);
    expect(memory.pids).toEqual(pids);
    expect(memory.pssBytes).toBeGreaterThan(0);
    expect(memory.ussBytes).toBeGreaterThan(0);
    expect(memory.rssBytes).toBeGreaterThanOrEqual(memory.pssBytes);
    expect(memory.pssBytes).toBeGreaterThanOrEqual(memory.ussBytes);
  });

  // The sampler's CPU cost is a benchmark figure (npm run bench:harness), not asserted here.
  it('samples the real tree every 50 ms for 2 s without a gap', async () => {
    await waitForTree(treePid, 3);
    const sampler = startSampler(() => readProcessTreeMemory(treePid), { intervalMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const samples = await sampler.stop();
    expect(samples.length).toBeGreaterThan(20);
    expect(sampler.gaps).toHaveLength(0);
    expect(samples.every((sample) => sample.value.pids.length === 3 && sample.value.pssBytes > 0)).toBe(true);
  }, 30_000);
});

describe('process io on the test process itself', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-io-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sees a 1 MiB write in wchar', async () => {
    const before = await readProcessIo(process.pid);
    await writeFile(path.join(dir, 'blob'), Buffer.alloc(1 << 20, 1));
    const after = await readProcessIo(process.pid);
    expect(after!.wcharBytes - before!.wcharBytes).toBeGreaterThanOrEqual(1 << 20);
  });
});
