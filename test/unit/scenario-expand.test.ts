import { describe, expect, it } from 'vitest';
import {
  type CasePoint,
  expandCase,
  expandSweep,
  formatPointLabel,
  parseScenario,
  type TargetRun,
} from '../../src/scenario/index.js';

const MIB = 1024 * 1024;

/** Parses a one-case scenario named t from the case body lines (indented 4). */
function parseCase(lines: string[]) {
  const text = [
    'schemaVersion: 1',
    'name: t',
    'description: d',
    'cases:',
    '  - name: c',
    ...lines.map((l) => `    ${l}`),
  ];
  return parseScenario('t.yaml', text.join('\n')).cases[0]!;
}

describe('expandSweep', () => {
  it('gives one empty point without a sweep', () => {
    expect(expandSweep({})).toEqual([{}]);
  });

  it('nests keys instances > memory > cpus > param with values in file order', () => {
    expect(expandSweep({ param: ['b', 'a'], instances: [2, 1], cpus: [1], memoryBytes: [MIB, 2 * MIB] })).toEqual([
      { instances: 2, memoryBytes: MIB, cpus: 1, param: 'b' },
      { instances: 2, memoryBytes: MIB, cpus: 1, param: 'a' },
      { instances: 2, memoryBytes: 2 * MIB, cpus: 1, param: 'b' },
      { instances: 2, memoryBytes: 2 * MIB, cpus: 1, param: 'a' },
      { instances: 1, memoryBytes: MIB, cpus: 1, param: 'b' },
      { instances: 1, memoryBytes: MIB, cpus: 1, param: 'a' },
      { instances: 1, memoryBytes: 2 * MIB, cpus: 1, param: 'b' },
      { instances: 1, memoryBytes: 2 * MIB, cpus: 1, param: 'a' },
    ]);
  });
});

describe('formatPointLabel', () => {
  it('labels in sweep-key order with sizes in binary units', () => {
    expect(formatPointLabel({ param: 'x', cpus: 0.5, memoryBytes: 128 * MIB, instances: 4 })).toBe(
      'instances=4,memory=128m,cpus=0.5,param=x',
    );
    expect(formatPointLabel({})).toBe('');
  });
});

describe('expandCase', () => {
  it('gives one point running every target when the case has no sweep', () => {
    const spec = parseCase(['measure: startup', 'command: [isobench-probe, ready, exit=0]', 'targets: [native, vm]']);
    expect(expandCase(spec)).toEqual<CasePoint[]>([
      {
        caseName: 'c',
        label: '',
        point: {},
        instances: 1,
        command: ['isobench-probe', 'ready', 'exit=0'],
        limits: {},
        vm: { memoryBytes: 256 * MIB, cpus: 1, machine: 'microvm' },
        runs: [
          { target: 'native', warmup: 1, iterations: 10, timeoutSeconds: 120 },
          { target: 'vm', warmup: 1, iterations: 10, timeoutSeconds: 120 },
        ],
      },
    ]);
  });

  it('applies memory, cpus and {param} per point and narrows targets by their perTarget sweep', () => {
    const spec = parseCase([
      'measure: density',
      "command: [isobench-probe, 'alloc={param}', ready, idle]",
      'targets: [container, vm]',
      'limits: { memory: 512m, pids: 32 }',
      'iterations: 2',
      'sweep: { instances: [1, 3], memory: [64m, 128m], param: [4] }',
      'perTarget:',
      '  vm: { iterations: 1, sweep: { instances: [1], memory: [128m] } }',
    ]);
    const container: TargetRun = { target: 'container', warmup: 1, iterations: 2, timeoutSeconds: 120 };
    const vm: TargetRun = { target: 'vm', warmup: 1, iterations: 1, timeoutSeconds: 120 };
    const at = (instances: number, memoryMiB: number, runs: CasePoint['runs']): CasePoint => ({
      caseName: 'c',
      label: `instances=${instances},memory=${memoryMiB}m,param=4`,
      point: { instances, memoryBytes: memoryMiB * MIB, param: '4' },
      instances,
      command: ['isobench-probe', 'alloc=4', 'ready', 'idle'],
      limits: { memoryBytes: memoryMiB * MIB, pidsLimit: 32 },
      vm: { memoryBytes: memoryMiB * MIB, cpus: 1, machine: 'microvm' },
      runs,
    });
    expect(expandCase(spec)).toEqual([
      at(1, 64, [container]),
      at(1, 128, [container, vm]),
      at(3, 64, [container]),
      at(3, 128, [container]),
    ]);
  });

  it('leaves out points no target runs and applies swept cpus to limits and the VM', () => {
    const spec = parseCase([
      'measure: cpu',
      'command: [isobench-probe, compute=1]',
      'targets: [vm]',
      'sweep: { cpus: [1, 2, 4] }',
      'perTarget: { vm: { sweep: { cpus: [4, 1] } } }',
    ]);
    const points = expandCase(spec);
    expect(points.map((point) => point.label)).toEqual(['cpus=1', 'cpus=4']);
    expect(points.map((point) => [point.limits.cpus, point.vm.cpus])).toEqual([
      [1, 1],
      [4, 4],
    ]);
  });

  it('runs the vm target once per kernel named in vm.kernel, stock-only plans unchanged without it', () => {
    const both = parseCase([
      'measure: startup',
      'command: [isobench-probe, ready, exit=0]',
      'targets: [native, vm]',
      'vm: { kernel: [stock, minimal] }',
      'perTarget: { vm: { iterations: 2 } }',
    ]);
    expect(expandCase(both)[0]!.runs.map((run) => [run.target, run.kernel, run.iterations])).toEqual([
      ['native', undefined, 10],
      ['vm', 'stock', 2],
      ['vm', 'minimal', 2],
    ]);
    const one = parseCase([
      'measure: startup',
      'command: [isobench-probe, ready, exit=0]',
      'targets: [vm]',
      'vm: { kernel: minimal }',
    ]);
    expect(expandCase(one)[0]!.runs.map((run) => run.kernel)).toEqual(['minimal']);
    const none = parseCase(['measure: startup', 'command: [isobench-probe, ready, exit=0]', 'targets: [vm]']);
    expect(expandCase(none)[0]!.runs[0]).not.toHaveProperty('kernel');
  });
});
