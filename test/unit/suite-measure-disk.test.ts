// The disk measure splits a VM image's footprint into the shared kernel and the image's own part;
// a target without parts (containers, native) owns its whole footprint.
import { describe, expect, it } from 'vitest';
import { expandCase, parseScenario } from '../../src/scenario/index.js';
import { measureDisk } from '../../src/suite/measures/disk.js';
import type { ImageFootprintParts, Instance, Target, WorkloadSpec } from '../../src/targets/types.js';

const MiB = 1024 * 1024;
const scenario = parseScenario(
  'disk.yaml',
  'schemaVersion: 1\nname: disk\ndescription: d\ncases:\n  - name: footprint\n    measure: disk\n    command: [isobench-probe, write=8, exit=0]\n',
);
const scenarioCase = scenario.cases[0]!;
const point = expandCase(scenarioCase)[0]!;

function fakeTarget(kind: Target['kind'], footprintBytes: number, parts?: ImageFootprintParts): Target {
  const instance: Instance = {
    launchedAtNs: 0n,
    ready: Promise.resolve(1n),
    exited: Promise.resolve({ exitCode: 0, atNs: 2n }),
    phases: () => ({}),
    outputLines: () => [],
    sampleMemory: async () => ({ pssBytes: 0, ussBytes: 0, rssBytes: 0 }),
    writableBytes: async () => 8 * MiB,
    dispose: async () => {},
  };
  return {
    kind,
    probe: async () => ({ available: true }),
    prepare: async () => {},
    launch: async () => instance,
    imageFootprintBytes: async () => footprintBytes,
    ...(parts ? { imageFootprintParts: async () => parts } : {}),
    cleanup: async () => {},
  };
}

async function measure(target: Target) {
  const workload: WorkloadSpec = {
    image: 'probe',
    args: point.command,
    env: {},
    limits: {},
    vm: point.vm,
  };
  return measureDisk({ target, workload, scenarioCase, point, timeoutMs: 1000, signal: new AbortController().signal });
}

describe('measureDisk', () => {
  it('records a VM image without the kernel every VM image on the host shares, and the kernel apart', async () => {
    const parts = { kernelBytes: 62.9 * MiB, initramfsBytes: 1.2 * MiB, baseDiskBytes: 6.5 * MiB };
    const outcome = await measure(fakeTarget('vm', 70.6 * MiB, parts));
    expect(outcome.values).toEqual({
      'disk.image': 70.6 * MiB,
      'disk.image_own': 7.7 * MiB,
      'disk.image_kernel': 62.9 * MiB,
      'disk.instance': 8 * MiB,
    });
  });

  it('gives a container the whole footprint as its own and no kernel part', async () => {
    const outcome = await measure(fakeTarget('container', 2.7 * MiB));
    expect(outcome.values).toEqual({ 'disk.image': 2.7 * MiB, 'disk.image_own': 2.7 * MiB, 'disk.instance': 8 * MiB });
  });
});
