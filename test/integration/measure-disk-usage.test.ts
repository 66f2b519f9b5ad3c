import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { measureDiskUsage } from '../../src/measure/disk-usage.js';
import { requireHost } from '../support/host.js';

await requireHost('root');

describe('measureDiskUsage on a real system tree', () => {
  it('agrees with du -sx on /usr/share and prints its speed', async () => {
    const tree = '/usr/share';
    const started = performance.now();
    const usage = await measureDiskUsage([tree]);
    const elapsedMs = performance.now() - started;
    const duBytes = Number(execFileSync('du', ['-sx', '-B1', tree], { encoding: 'utf8' }).split('\t')[0]);
    const entries = usage.files + usage.dirs;
    console.log(
      `disk usage of ${tree}: ${entries} inodes, ${(usage.allocatedBytes / 2 ** 20).toFixed(0)} MiB in ${elapsedMs.toFixed(0)} ms (${Math.round(entries / (elapsedMs / 1000))} inodes/s)`,
    );
    expect(usage.allocatedBytes).toBe(duBytes);
    expect(usage.files).toBeGreaterThan(1000);
  });
});
