// Container target availability (root, helper, overlayfs) and env conversion, with fake inputs.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envEntries, findContainerBlocker } from '../../src/targets/container.js';

describe('findContainerBlocker', () => {
  let dir: string;
  let helper: string;
  let withOverlay: string;
  let withoutOverlay: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-container-probe-'));
    helper = path.join(dir, 'helper');
    await fs.writeFile(helper, '#!/bin/sh\n', { mode: 0o755 });
    withOverlay = path.join(dir, 'fs-ok');
    await fs.writeFile(withOverlay, 'nodev\tsysfs\n\text4\nnodev\toverlay\n');
    withoutOverlay = path.join(dir, 'fs-no');
    await fs.writeFile(withoutOverlay, 'nodev\tsysfs\n\text4\n');
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('is undefined when root, helper and overlayfs are all there', async () => {
    expect(await findContainerBlocker({ uid: 0, helperPath: helper, procFilesystems: withOverlay })).toBeUndefined();
  });

  it('names each missing piece and its fix', async () => {
    expect(await findContainerBlocker({ uid: 1000, helperPath: helper, procFilesystems: withOverlay })).toBe(
      'needs root (running as uid 1000): run isobench as root, e.g. with sudo',
    );
    expect(
      await findContainerBlocker({ uid: 0, helperPath: path.join(dir, 'none'), procFilesystems: withOverlay }),
    ).toBe(
      `the container helper ${path.join(dir, 'none')} is missing or not executable: run the set-up command: bash scripts/setup.sh`,
    );
    expect(await findContainerBlocker({ uid: 0, helperPath: helper, procFilesystems: withoutOverlay })).toBe(
      'overlayfs is not available (not in /proc/filesystems): load it with `modprobe overlay`',
    );
  });
});

describe('envEntries', () => {
  it('turns a map into KEY=VALUE in insertion order', () => {
    expect(envEntries({ B: '1', A: 'x=y' })).toEqual(['B=1', 'A=x=y']);
  });
});
