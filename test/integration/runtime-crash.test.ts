// What crashes leave and gc cleans: a CLI killed by SIGKILL mid-run and Ctrl-C in an attached run
// (gc of what other crashes leave: runtime-gc.test.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/container/index.js';
import { packageDir } from '../../src/paths.js';
import { isSameProcessAlive } from '../../src/util/process.js';
import { requireHost } from '../support/host.js';
import { exitOf, makeBusyboxImage, makeTestRoot, removeTestRoot, type TestRoot, waitUntil } from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;
let runtime: Runtime;
const children: ChildProcess[] = [];

const VITE_NODE = path.join(packageDir(), 'node_modules', 'vite-node', 'vite-node.mjs');
const SRC = path.join(packageDir(), 'src');

/** Starts a TypeScript program (run by vite-node) in a child node process; resolves its first stdout line. */
async function startChild(name: string, source: string): Promise<{ child: ChildProcess; firstLine: string }> {
  const file = path.join(t.root, `${name}.ts`);
  writeFileSync(file, source);
  const child = spawn(process.execPath, [VITE_NODE, file], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`child ${name} exited ${code} early: ${stderr}`)));
  });
  return { child, firstLine };
}

/** A child that runs an attached container through the Runtime and prints its record. */
const attachedRunner = (remove: boolean) => `
import { Runtime } from '${SRC}/container/index.ts';
const runtime = await Runtime.open(${JSON.stringify(t.root)});
const handle = await runtime.run({ image: 'busybox', args: ['sleep', '1000'], stdio: 'ignore', remove: ${remove} });
console.log(JSON.stringify({ id: handle.id, pid: handle.pid }));
await handle.wait();
`;

beforeAll(async () => {
  t = await makeTestRoot('crash');
  await makeBusyboxImage(t.root, 'busybox:latest');
  runtime = await Runtime.open(t.root);
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (runtime) {
    for (const c of await runtime.list({ all: true })) await runtime.remove(c.id, { force: true });
    await runtime.gc();
    await runtime.close();
  }
  if (t) expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

describe('a CLI killed by SIGKILL', () => {
  it.each([true, false])('takes its container down; gc cleans up (remove=%s)', async (remove) => {
    const { child, firstLine } = await startChild(`attached-${remove}`, attachedRunner(remove));
    const { id, pid } = JSON.parse(firstLine) as { id: string; pid: number };
    const record = await runtime.get(id);
    expect(record.status).toBe('running');
    child.kill('SIGKILL');
    await exitOf(child);
    // PDEATHSIG on the helper side ends the workload.
    await waitUntil(() => !isSameProcessAlive(pid, record.pidStartTime), 'the workload to die with its CLI');
    const after = await runtime.get(id);
    expect(after.status).toBe('stopped');
    expect(after.statusDetail).toBe('the attached isobench process died before recording the exit');

    const report = await runtime.gc();
    if (remove) {
      expect(report.removedContainers).toEqual([`${id.slice(0, 12)} (${record.name}): stopped --rm container`]);
      expect(existsSync(path.join(t.root, 'containers', id))).toBe(false);
    } else {
      // The refresh above already recorded it as stopped; gc leaves a kept container for `rm`.
      expect(report.removedContainers).toEqual([]);
      await runtime.remove(id);
    }
    expect(await runtime.context.cgroups.listIds()).not.toContain(id);
  });
});

describe('Ctrl-C in an attached `isobench run`', () => {
  it('kills the container, removes it (--rm) and exits 130', async () => {
    const source = `
import { runCommand } from '${SRC}/cli/commands/run.ts';
import { makeCliContext } from '${SRC}/cli/context.ts';
import { Runtime } from '${SRC}/container/index.ts';
const ctx = makeCliContext(${JSON.stringify(t.root)});
const running = runCommand(ctx, 'busybox', ['sleep', '1000'], { rm: true, name: 'interrupted' });
const runtime = await Runtime.open(ctx.root);
for (;;) {
  const found = (await runtime.list()).find((c) => c.name === 'interrupted' && c.status === 'running');
  if (found) { console.log(JSON.stringify({ id: found.id })); break; }
  await new Promise((r) => setTimeout(r, 20));
}
const code = await running;
await runtime.close();
process.exit(code);
`;
    const { child, firstLine } = await startChild('ctrl-c', source);
    const { id } = JSON.parse(firstLine) as { id: string };
    child.kill('SIGINT');
    // sleep as PID 1 ignores the forwarded SIGTERM: the SIGKILL after the grace period ends it.
    expect(await exitOf(child)).toEqual({ code: 130, signal: null });
    await waitUntil(() => !existsSync(path.join(t.root, 'containers', id)), 'the --rm container to be removed');
    expect(await runtime.context.cgroups.listIds()).not.toContain(id);
  });
});
