// Teardown of containers: the helper (attached) or monitor (detached) holds the container's mount
// namespace past the workload's exit, so the overlay's unmount sync happens after the exit report,
// and the workload's output ends before it too. Once cleanup() or Runtime.close() resolves, the
// helper has exited and no process, fd or mount anywhere still refers to that namespace or to the
// container's rootfs.
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ContainerHandle, Runtime } from '../../src/container/index.js';
import { containerPaths } from '../../src/container/state.js';
import { rootLayout } from '../../src/paths.js';
import { isSameProcessAlive } from '../../src/util/process.js';
import { requireHost } from '../support/host.js';
import { type TestRoot, useRuntimeRoot } from './runtime-fixture.js';

await requireHost('root');

let t: TestRoot;
let runtime: Runtime;

useRuntimeRoot('teardown', (root, rt) => {
  t = root;
  runtime = rt;
});

/** Readlinks under /proc/<pid>/<sub> (ns/* or fd/*) of every process; a vanished one is skipped. */
function linksOf(pid: string, sub: string): string[] {
  try {
    const dir = `/proc/${pid}/${sub}`;
    return readdirSync(dir).flatMap((name) => {
      try {
        return [readlinkSync(path.join(dir, name))];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/**
 * Everything on the host that still refers to the mount namespace `nsLink` ("mnt:[inode]") or to
 * `rootfs`: a process in it, an open fd on it, a bind mount of it (nsfs), a mount of the rootfs.
 * Nothing listed means the kernel has freed the namespace and unmounted everything in it.
 */
function referencesTo(nsLink: string, rootfs: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    if (linksOf(pid, 'ns').includes(nsLink)) found.push(`${pid}: process in the namespace`);
    if (linksOf(pid, 'fd').includes(nsLink)) found.push(`${pid}: fd on the namespace`);
    let mountinfo = '';
    try {
      mountinfo = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
    } catch {
      continue;
    }
    for (const line of mountinfo.split('\n')) {
      if (line.includes(nsLink) || line.includes(rootfs)) found.push(`${pid}: mount ${line}`);
    }
  }
  return found;
}

/** Starts `sleep` attached and notes what its teardown must remove: helper, namespace, rootfs. */
async function startSleeper(remove: boolean) {
  const handle: ContainerHandle = await runtime.run({
    image: 'busybox',
    // Dirty data in the upper dir: the overlay's unmount has something to sync.
    args: ['sh', '-c', 'dd if=/dev/zero of=/data bs=1048576 count=32 2>/dev/null; exec sleep 1000'],
    stdio: 'ignore',
    remove,
  });
  const record = await runtime.get(handle.id);
  const nsLink = readlinkSync(`/proc/${handle.pid}/ns/mnt`);
  const paths = containerPaths(rootLayout(t.root).containers, handle.id);
  // Alive now: the checks below that it is gone mean something.
  expect(isSameProcessAlive(record.monitorPid, record.monitorStartTime)).toBe(true);
  expect(referencesTo(nsLink, paths.rootfsDir)).not.toEqual([]);
  return { handle, record, nsLink, paths };
}

describe('attached teardown', () => {
  it('leaves no helper, namespace or mount once cleanup() resolves', async () => {
    const { handle, record, nsLink, paths } = await startSleeper(false);
    expect(nsLink).toMatch(/^mnt:\[\d+\]$/);
    expect(nsLink).not.toBe(readlinkSync('/proc/self/ns/mnt'));
    handle.kill('SIGKILL');
    expect(await handle.wait()).toEqual({ exitCode: 137, signal: 'SIGKILL', oomKilled: false, reason: 'signaled' });
    expect((await runtime.get(handle.id)).status).toBe('stopped');
    // Freeze the helper: it is usually still unmounting (syncing the 32 MiB) right after wait().
    // cleanup() must not finish before the helper has exited, frozen or not; a cleanup that did not
    // wait for it would finish within the pause (it takes ~10 ms here). Already gone: nothing to freeze.
    const helper = record.monitorPid!;
    let frozen = false;
    if (isSameProcessAlive(helper, record.monitorStartTime)) {
      process.kill(helper, 'SIGSTOP');
      // Still there and stopped: it cannot exit (nor its pid be reused) until SIGCONT.
      frozen = isSameProcessAlive(helper, record.monitorStartTime);
    }
    let finishedWhileFrozen = false;
    const cleaning = handle.cleanup().then(() => {
      finishedWhileFrozen = frozen;
    });
    if (frozen) {
      await sleep(200);
      frozen = false;
      process.kill(helper, 'SIGCONT');
    }
    await cleaning;
    expect(finishedWhileFrozen).toBe(false);
    expect(isSameProcessAlive(record.monitorPid, record.monitorStartTime)).toBe(false);
    expect(referencesTo(nsLink, paths.rootfsDir)).toEqual([]);
    expect(existsSync(paths.dir)).toBe(false);
  });

  it('leaves no helper, namespace or mount of a --rm container once Runtime.close() resolves', async () => {
    const { handle, record, nsLink, paths } = await startSleeper(true);
    handle.kill('SIGKILL');
    expect((await handle.wait()).exitCode).toBe(137);
    await runtime.close();
    expect(isSameProcessAlive(record.monitorPid, record.monitorStartTime)).toBe(false);
    expect(referencesTo(nsLink, paths.rootfsDir)).toEqual([]);
    expect(existsSync(paths.dir)).toBe(false);
    expect(await runtime.list({ all: true })).toEqual([]);
  });

  it('cleanup() of a running container kills it and waits for its teardown', async () => {
    const { handle, record, nsLink, paths } = await startSleeper(false);
    await handle.cleanup();
    expect(isSameProcessAlive(handle.pid, record.pidStartTime)).toBe(false);
    expect(isSameProcessAlive(record.monitorPid, record.monitorStartTime)).toBe(false);
    expect(referencesTo(nsLink, paths.rootfsDir)).toEqual([]);
    expect(existsSync(paths.dir)).toBe(false);
  });
});

describe('attached exit before teardown', () => {
  // The hang once seen in a full `npm test` on a loaded machine: the helper kept the workload's
  // stdout open through its teardown, whose unmount syncs the whole filesystem under the state
  // root, so a caller reading the output to its end waited for every dirty page on the host. Here
  // the helper is stopped the moment its exit report is read, so its teardown cannot end (a stop
  // takes effect once it is out of the syscall it is in, e.g. the unmount's sync; it never exits).
  it('reports the exit and ends the output while the helper is held in its teardown', async () => {
    const handle = await runtime.run({
      image: 'busybox',
      // 200 MiB dirty in the upper dir: the helper's unmount has a long sync ahead of it.
      args: ['sh', '-c', 'dd if=/dev/zero of=/data bs=1048576 count=200 2>/dev/null; echo out; echo err >&2'],
      stdio: 'pipe',
    });
    const record = await runtime.get(handle.id);
    const helper = record.monitorPid!;
    const readAll = (stream: NodeJS.ReadableStream) =>
      new Promise<string>((resolve) => {
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          text += chunk;
        });
        stream.on('end', () => resolve(text));
      });
    const output = Promise.all([readAll(handle.stdout!), readAll(handle.stderr!)]);
    let frozen = false;
    let stdioAtReport: string[] = [];
    await handle.exitAtNs!.then(() => {
      // Synchronously on the report: the helper is still tearing down (or already gone).
      if (!isSameProcessAlive(helper, record.monitorStartTime)) return;
      process.kill(helper, 'SIGSTOP');
      frozen = isSameProcessAlive(helper, record.monitorStartTime);
      stdioAtReport = [0, 1, 2].map((fd) => {
        try {
          return readlinkSync(`/proc/${helper}/fd/${fd}`);
        } catch {
          return 'gone';
        }
      });
    });
    try {
      // The report came after the helper let go of the workload's stdio: it holds /dev/null.
      if (frozen) expect(stdioAtReport).toEqual(['/dev/null', '/dev/null', '/dev/null']);
      const ended = await Promise.race([
        Promise.all([output, handle.wait()]),
        sleep(30_000).then(() => 'the output never ended while the helper was held' as const),
      ]);
      expect(ended).toEqual([['out\n', 'err\n'], { exitCode: 0, oomKilled: false, reason: 'exited' }]);
      // Still held (not exited) when all of that had arrived.
      expect(isSameProcessAlive(helper, record.monitorStartTime)).toBe(frozen);
    } finally {
      if (frozen) process.kill(helper, 'SIGCONT');
    }
    await handle.cleanup();
    expect(isSameProcessAlive(helper, record.monitorStartTime)).toBe(false);
  });
});

describe('detached teardown', () => {
  it('cleanup() waits for the monitor, which holds the namespace until the exit is recorded', async () => {
    const handle = await runtime.run({ image: 'busybox', args: ['sleep', '1000'], detach: true });
    const record = await runtime.get(handle.id);
    const nsLink = readlinkSync(`/proc/${handle.pid}/ns/mnt`);
    // The monitor holds the container's mount namespace open (fd 3, once it has shed the others:
    // it does so right after telling the spawned helper that the workload runs).
    const monitorFds = () => readdirSync(`/proc/${record.monitorPid}/fd`).sort().join(' ');
    for (let i = 0; i < 500 && monitorFds() !== '0 1 2 3'; i++) await sleep(20);
    expect(readlinkSync(`/proc/${record.monitorPid}/fd/3`)).toBe(nsLink);
    const paths = containerPaths(rootLayout(t.root).containers, handle.id);
    await handle.cleanup();
    expect(isSameProcessAlive(record.monitorPid, record.monitorStartTime)).toBe(false);
    expect(referencesTo(nsLink, paths.rootfsDir)).toEqual([]);
    expect(existsSync(paths.dir)).toBe(false);
  });
});
