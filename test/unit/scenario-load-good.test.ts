import { describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from '../../src/scenario/index.js';

const MIB = 1024 * 1024;
const FILE = 'test/fixtures/scenarios/good.yaml';

describe('loadScenario resolves a file using every feature to an exact structure', () => {
  it('applies defaults per case, converts sizes to bytes and builds one plan per target', async () => {
    const sweep = { instances: [1, 4], memoryBytes: [64 * MIB, 1024 * MIB], param: ['8', '16'] };
    const expected: Scenario = {
      schemaVersion: 1,
      name: 'good',
      description: 'Every feature once',
      file: FILE,
      cases: [
        {
          name: 'hello',
          measure: 'startup',
          command: ['isobench-probe', 'ready=HELLO-READY', 'exit=0'],
          readyMarker: 'HELLO',
          env: { GREETING: 'hi', COUNT: '3' },
          limits: { memoryBytes: 64 * MIB, cpus: 0.5, pidsLimit: 64 },
          vm: { memoryBytes: 128 * MIB, cpus: 1, machine: 'q35' },
          image: 'probe',
          targets: ['native', 'container', 'vm'],
          plans: [
            { target: 'native', warmup: 2, iterations: 7, timeoutSeconds: 120, sweep: {} },
            { target: 'container', warmup: 2, iterations: 7, timeoutSeconds: 120, sweep: {} },
            { target: 'vm', warmup: 2, iterations: 3, timeoutSeconds: 60, sweep: {} },
          ],
          sweep: {},
          network: 'none',
          budgetSeconds: 120,
          sampleIntervalMs: 25,
          holdMs: 1000,
          settleMs: 200,
          baselineToleranceBytes: 512 * 1024,
          baselineWaitMs: 10_000,
          line: 16,
        },
        {
          name: 'density',
          description: 'side by side',
          measure: 'density',
          command: ['/usr/bin/isobench-probe', 'alloc={param}', 'ready', 'idle'],
          readyMarker: 'ISOBENCH-READY',
          env: {},
          limits: {},
          vm: { memoryBytes: 128 * MIB, cpus: 2, machine: 'q35' },
          image: 'probe',
          targets: ['container', 'vm', 'podman'],
          plans: [
            // The case's own iterations (4) win over defaults.perTarget.vm (3); its timeout (60) stays.
            { target: 'container', warmup: 2, iterations: 4, timeoutSeconds: 120, sweep },
            { target: 'vm', warmup: 2, iterations: 4, timeoutSeconds: 60, sweep: { ...sweep, instances: [1] } },
            { target: 'podman', warmup: 0, iterations: 4, timeoutSeconds: 120, sweep },
          ],
          sweep,
          network: 'none',
          sampleIntervalMs: 25,
          holdMs: 500,
          settleMs: 200,
          baselineToleranceBytes: 1 * MIB,
          baselineWaitMs: 5000,
          line: 23,
        },
      ],
      thresholds: { 'startup.exit': 0.1, 'memory.pss': 0.025 },
    };
    expect(await loadScenario(FILE)).toEqual(expected);
  });

  it('applies the built-in defaults when the file has no defaults block', async () => {
    const { parseScenario } = await import('../../src/scenario/load.js');
    const scenario = parseScenario(
      'minimal.yaml',
      'schemaVersion: 1\nname: minimal\ndescription: d\ncases:\n  - name: a\n    measure: disk\n    command: [/bin/true]\n',
    );
    expect(scenario.cases[0]).toEqual({
      name: 'a',
      measure: 'disk',
      command: ['/bin/true'],
      env: {},
      limits: {},
      vm: { memoryBytes: 256 * MIB, cpus: 1, machine: 'microvm' },
      image: 'probe',
      targets: ['native', 'container', 'vm', 'runc', 'crun', 'podman'],
      plans: ['native', 'container', 'vm', 'runc', 'crun', 'podman'].map((target) => ({
        target,
        warmup: 1,
        iterations: 10,
        timeoutSeconds: 120,
        sweep: {},
      })),
      sweep: {},
      network: 'none',
      sampleIntervalMs: 50,
      holdMs: 1000,
      settleMs: 0,
      baselineToleranceBytes: 512 * 1024,
      baselineWaitMs: 10_000,
      line: 5,
    });
    expect(scenario.thresholds).toEqual({});
  });
});
