// --cold's page-cache drop against a fake /proc: the up-front check names the file and the fix,
// and the drop writes "3" (page cache and reclaimable slab) after syncing.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../src/errors.js';
import { checkCanDropPageCache, dropCachesFile, dropPageCache } from '../../src/host/page-cache.js';

describe('page-cache drop on a fake /proc', () => {
  let proc: string;
  beforeEach(async () => {
    proc = await mkdtemp(path.join(os.tmpdir(), 'isobench-proc-'));
  });
  afterEach(async () => {
    await rm(proc, { recursive: true, force: true });
  });

  it('refuses up front, naming the control file, when it is missing', async () => {
    const error = await checkCanDropPageCache(proc).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as Error).message).toContain(dropCachesFile(proc));
    await expect(dropPageCache(proc)).rejects.toBeInstanceOf(EnvironmentError);
  });

  it('writes 3 into drop_caches', async () => {
    await mkdir(path.join(proc, 'sys/vm'), { recursive: true });
    await writeFile(dropCachesFile(proc), '');
    await checkCanDropPageCache(proc);
    await dropPageCache(proc);
    expect(await readFile(dropCachesFile(proc), 'utf8')).toBe('3\n');
  });
});
