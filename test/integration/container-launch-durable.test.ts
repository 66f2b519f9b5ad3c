// The container's overlay is durable: no `volatile` mount option, and an fsync inside the container
// really writes the upper file back (checked from the host with cachestat(2): no dirty pages left
// while the container still runs). With `volatile`, overlayfs would skip that fsync and the
// probe's write+fsync figures would be fake.
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchContainer } from '../../src/container/launch/helper-process.js';
import type { ContainerSpec } from '../../src/container/types.js';
import { ensureHelperBuilt, makeBusyboxRootfs } from '../fixtures/rootfs.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

// cachestat(2) (Linux 6.5+, x86_64 syscall 451): page-cache state of one file, dirty pages included.
const CACHESTAT_C = `#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
struct range { unsigned long long off, len; };
struct stat5 { unsigned long long cache, dirty, writeback, evicted, recently_evicted; };
int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { perror("open"); return 1; }
  struct range r = {0, 0};
  struct stat5 s;
  if (syscall(451, fd, &r, &s, 0) < 0) { perror("cachestat"); return errno == ENOSYS ? 77 : 1; }
  printf("%llu %llu %llu\\n", s.cache, s.dirty, s.writeback);
  return 0;
}
`;

let tmp: string;
let lower: string;
let cachestat: string;

beforeAll(async () => {
  ensureHelperBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-durable-'));
  lower = path.join(tmp, 'lower');
  await fs.mkdir(lower);
  await makeBusyboxRootfs(lower);
  await fs.writeFile(path.join(tmp, 'cachestat.c'), CACHESTAT_C);
  cachestat = path.join(tmp, 'cachestat');
  execFileSync('cc', ['-O2', '-o', cachestat, path.join(tmp, 'cachestat.c')]);
});

afterAll(async () => {
  expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(tmp);
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Page-cache pages of `file`: cached, dirty, under writeback. */
function pageCacheOf(file: string): { cache: number; dirty: number; writeback: number } {
  const [cache, dirty, writeback] = execFileSync(cachestat, [file], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { cache: cache!, dirty: dirty!, writeback: writeback! };
}

/** Resolves with everything read from `stream` once `marker` has appeared in it. */
function readUntil(stream: Readable, marker: string): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes(marker)) resolve(text);
    });
    stream.on('close', () => reject(new Error(`stream closed before \`${marker}\`: ${text}`)));
  });
}

describe('container overlay durability', () => {
  it('mounts the overlay without volatile and an fsync inside reaches the disk', async () => {
    const base = path.join(tmp, 'c1');
    const spec: ContainerSpec = {
      id: 'durable',
      lowerDirs: [lower],
      upperDir: path.join(base, 'upper'),
      workDir: path.join(base, 'work'),
      rootfsDir: path.join(base, 'rootfs'),
      // 1 MiB written, fsync'd (busybox `sync FILE` is fsync(2)), then the container stays up.
      args: [
        'sh',
        '-c',
        'cat /proc/self/mountinfo; dd if=/dev/zero of=/data bs=65536 count=16 2>/dev/null && sync /data && echo synced; exec sleep 1000',
      ],
      env: ['PATH=/bin'],
      cwd: '/',
      uid: 0,
      gid: 0,
      additionalGids: [],
      hostname: 'durable',
      network: 'none',
      limits: {},
    };
    await Promise.all([spec.upperDir, spec.workDir, spec.rootfsDir].map((d) => fs.mkdir(d, { recursive: true })));
    const launched = await launchContainer(spec, {
      mode: { kind: 'attached', stdio: 'pipe' },
      cgroupProcsFiles: [],
    });
    (launched.stderr as Readable).resume();
    let output: string;
    try {
      output = await readUntil(launched.stdout as Readable, 'synced\n');
      // Still mounted (the workload sleeps): only the fsync can have written the pages back;
      // the host's own writeback waits dirty_expire_centisecs (30 s by default).
      const upperFile = path.join(spec.upperDir, 'data');
      expect((await fs.stat(upperFile)).size).toBe(1 << 20);
      const pages = pageCacheOf(upperFile);
      expect(pages.cache).toBeGreaterThan(0);
      expect({ dirty: pages.dirty, writeback: pages.writeback }).toEqual({ dirty: 0, writeback: 0 });
    } finally {
      process.kill(launched.pid, 'SIGKILL');
      await launched.exited;
      await launched.released;
    }
    const rootLine = output.split('\n').find((line) => line.split(' ')[4] === '/');
    expect(rootLine).toMatch(/ - overlay overlay .*upperdir=/);
    expect(rootLine).not.toMatch(/volatile/);
    // overlayfs leaves this mark in the work dir only for a volatile mount.
    expect(existsSync(path.join(spec.workDir, 'work', 'incompat'))).toBe(false);
  });
});
