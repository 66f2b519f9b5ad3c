// The container target for real: the probe image assembled in a temp store, run in isobench's
// runtime; ready, exit, memory (process tree + cgroup), upper-dir writes, and a clean disposal.
import { existsSync, promises as fs, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { monotonicNs } from '../../src/measure/clock.js';
import { rootLayout } from '../../src/paths.js';
import { measureStartup } from '../../src/suite/measures/startup.js';
import { ContainerTarget } from '../../src/targets/container.js';
import type { Instance, Target, WorkloadSpec } from '../../src/targets/types.js';
import { requireHost } from '../support/host.js';
import { cgroupDirsOf, makeTestRoot, processesIn, removeTestRoot, type TestRoot } from './runtime-fixture.js';
import { descendantsNamed, ensureProbeBuilt, MIB, probeWorkload } from './targets-fixture.js';

await requireHost('root');

describe('container target', () => {
  let t: TestRoot;
  let target: ContainerTarget;
  const instances: Instance[] = [];

  beforeAll(async () => {
    ensureProbeBuilt();
    t = await makeTestRoot('targets-container');
    target = new ContainerTarget({ root: t.root, cgroupParent: t.cgroupParent });
    // Assembles the probe image (busybox + /usr/bin/isobench-probe) in the temp store.
    await target.prepare(probeWorkload(['exit=0']));
  });

  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.dispose()));
  });

  afterAll(async () => {
    await target.cleanup();
    const leaks = await removeTestRoot(t);
    expect(leaks).toEqual({ mounts: [], cgroups: [], pids: [] });
  });

  async function launch(steps: string[], overrides = {}): Promise<Instance> {
    const instance = await target.launch(probeWorkload(steps, overrides));
    instances.push(instance);
    return instance;
  }

  it('is available here and measures the image layers as its footprint', async () => {
    expect(await target.probe()).toEqual({ available: true });
    const footprint = await target.imageFootprintBytes(probeWorkload(['exit=0']));
    expect(footprint).toBeGreaterThan(1_000_000); // busybox + probe, both static
  });

  it('refuses an unknown image without a recipe', async () => {
    await expect(target.prepare(probeWorkload(['exit=0'], { image: 'no-such-image:1' }))).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('resolves ready before exit, with exit code and the marker line', async () => {
    const instance = await launch(['ready', 'exit=0']);
    const readyNs = await instance.ready;
    const exit = await instance.exited;
    expect(exit).toMatchObject({ exitCode: 0, oomKilled: false });
    expect(readyNs).toBeGreaterThanOrEqual(instance.launchedAtNs);
    expect(exit.atNs).toBeGreaterThanOrEqual(readyNs);
    expect(instance.outputLines().some((line) => line.startsWith('ISOBENCH-READY '))).toBe(true);
  });

  it('breaks the startup into increasing phases, ns from launch', async () => {
    const instance = await launch(['ready', 'exit=0']);
    const readyNs = await instance.ready;
    const exit = await instance.exited;
    const phases = instance.phases();
    const names = ['helperStartNs', 'namespacesNs', 'rootfsNs', 'execNs', 'readyNs', 'exitNs'];
    expect(Object.keys(phases).sort()).toEqual([...names].sort());
    const values = names.map((name) => phases[name]!);
    expect(values[0]).toBeGreaterThanOrEqual(0);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(phases.readyNs).toBe(Number(readyNs - instance.launchedAtNs));
    expect(phases.exitNs).toBe(Number(exit.atNs - instance.launchedAtNs));
  });

  it('passes env and reports a non-zero exit; ready = exit without a marker', async () => {
    const instance = await launch(['exit=7'], { readyMarker: undefined, env: { FOO: 'bar' } });
    const exit = await instance.exited;
    expect(exit.exitCode).toBe(7);
    expect(await instance.ready).toBe(exit.atNs);
  });

  it('samples monitor + workload and the cgroup after ready; dispose leaves nothing', async () => {
    const instance = await launch(['alloc=32', 'ready', 'idle'], { limits: { memoryBytes: 128 * MIB, pidsLimit: 16 } });
    await instance.ready;
    const sample = await instance.sampleMemory();
    expect(sample.pssBytes).toBeGreaterThanOrEqual(32 * MIB);
    expect(sample.ussBytes).toBeGreaterThanOrEqual(32 * MIB);
    expect(sample.cgroup?.currentBytes).toBeGreaterThanOrEqual(32 * MIB);
    expect(sample.cgroup?.anonBytes).toBeGreaterThanOrEqual(32 * MIB);
    // memory.peak of the harness: v1 max_usage_in_bytes, v2 memory.peak (Linux 5.19+).
    const peakFiles = ['memory.max_usage_in_bytes', 'memory.peak'];
    if (cgroupDirsOf(t.cgroupParent).some((dir) => peakFiles.some((f) => existsSync(path.join(dir, f))))) {
      expect(sample.cgroup?.peakBytes).toBeGreaterThanOrEqual(sample.cgroup!.currentBytes!);
    }
    expect(processesIn(t.cgroupParent).length).toBeGreaterThan(0);
    await instance.dispose();
    expect((await instance.exited).exitCode).toBe(137);
    expect(processesIn(t.cgroupParent)).toEqual([]);
    expect(descendantsNamed('isobench-probe')).toEqual([]);
    expect(await fs.readdir(rootLayout(t.root).containers)).toEqual([]);
    const cgroupChildren = await Promise.all(
      cgroupDirsOf(t.cgroupParent).map(async (dir) =>
        (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()),
      ),
    );
    expect(cgroupChildren.flat()).toEqual([]);
  });

  // The attached exit is the helper's report, written once it has put /dev/null on the workload's
  // stdio and before it lets the container's mount namespace go; that release unmounts the overlay,
  // which syncs the upper dir's filesystem (here 200 MiB left dirty by the workload). Through the
  // suite's startup measure: the helper is looked at the moment the exit becomes known. Still
  // running, it must hold no output of the workload (the output's end cannot wait for its
  // teardown); it is then stopped for a while, and `teardown` (dispose, timed from the exit) must
  // cover that hold: the end of the helper is in the teardown, not in startup.exit. The helper
  // already gone when the exit is handled leaves nothing to look at: three tries, then skipped.
  it('knows the exit before the helper ends its teardown, and times the teardown apart', async (ctx) => {
    const holdMs = 300;
    const workload = probeWorkload([], {
      args: ['sh', '-c', 'dd if=/dev/zero of=/data bs=1048576 count=200 2>/dev/null; echo ISOBENCH-READY; exit 0'],
    });
    for (let attempt = 1; attempt <= 3; attempt++) {
      let launched: Instance | undefined;
      let stdioAtExit: string[] | undefined;
      let stopped: Promise<bigint | undefined> = Promise.resolve(undefined);
      let helper: number | undefined;
      let resumedAtNs: bigint | undefined;
      const resume = () => {
        if (helper === undefined || resumedAtNs !== undefined) return;
        resumedAtNs = monotonicNs();
        process.kill(helper, 'SIGCONT');
      };
      // The real target; its instance's exit gets a first listener, which runs before dispose().
      const watched: Target = Object.create(target, {
        launch: {
          value: async (spec: WorkloadSpec) => {
            const instance = await target.launch(spec);
            launched = instance;
            instance.exited.then(
              () => {
                const found = descendantsNamed('isobench-helper')[0];
                if (found === undefined) return;
                helper = found;
                process.kill(found, 'SIGSTOP');
                stdioAtExit = [0, 1, 2].map((fd) => linkOrGone(`/proc/${found}/fd/${fd}`));
                // A process in a syscall (the unmount's sync) stops when it returns from it.
                stopped = stateOnceSettled(found).then((state) => (state === 'T' ? monotonicNs() : undefined));
                stopped.then((atNs) => {
                  // Not stopped means gone (or a zombie): nothing to resume, and its pid may be reused.
                  if (atNs === undefined) helper = undefined;
                  else setTimeout(resume, holdMs);
                });
              },
              () => undefined,
            );
            return instance;
          },
        },
      });
      try {
        const { values, phasesNs } = await measureStartup({
          target: watched,
          workload,
          timeoutMs: 120_000,
          signal: new AbortController().signal,
        });
        expect(Object.keys(values).sort()).toEqual(['startup.exit', 'startup.ready', 'teardown']);
        expect(values['startup.exit']).toBeGreaterThanOrEqual(values['startup.ready']!);
        expect(values.teardown).toBeGreaterThan(0);
        const stoppedAtNs = await stopped;
        if (stoppedAtNs === undefined) continue;
        // Alive after the exit report: it had let go of the workload's output before it reported.
        expect(stdioAtExit).toEqual(['/dev/null', '/dev/null', '/dev/null']);
        // Its end, held back until it was let go, falls in the teardown, after the exit.
        const exitAtNs = launched!.launchedAtNs + BigInt(phasesNs!.exitNs!);
        expect(resumedAtNs).toBeDefined();
        expect(values.teardown).toBeGreaterThanOrEqual(Number(resumedAtNs! - exitAtNs));
        await ctx.annotate(
          `try ${attempt}: exit - ready ${(values['startup.exit']! - values['startup.ready']!) / 1e6} ms, ` +
            `teardown ${values.teardown! / 1e6} ms (helper held ${holdMs} ms)`,
        );
        return;
      } finally {
        resume();
      }
    }
    ctx.skip('the helper had exited before the exit was handled, on every try');
  });

  it('counts writes in the upper dir after exit', async () => {
    const instance = await launch(['write=8:/tmp/f', 'ready', 'exit=0']);
    expect((await instance.exited).exitCode).toBe(0);
    expect(await instance.writableBytes()).toBeGreaterThanOrEqual(8 * MIB);
    const idle = await launch(['ready', 'exit=0']);
    await idle.exited;
    expect(await idle.writableBytes()).toBeLessThan(MIB);
  });
});

/** The target of the symlink `link`, or "gone". */
function linkOrGone(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return 'gone';
  }
}

/** The state letter of `pid` once it is neither running nor in a syscall (R, S, D), or "gone". */
async function stateOnceSettled(pid: number): Promise<string> {
  for (;;) {
    let state: string;
    try {
      // The state follows the command name in parentheses, which may itself hold spaces.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch {
      return 'gone';
    }
    if (!'RSD'.includes(state)) return state;
    await sleep(1);
  }
}
