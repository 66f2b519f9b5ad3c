import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expandCase, findScenario, listScenarios, loadScenario } from '../../src/scenario/index.js';

const SCENARIOS = 'scenarios';

describe('the shipped scenarios', () => {
  it('are the seven documented files', async () => {
    expect(await listScenarios(SCENARIOS)).toEqual([
      'cpu',
      'default',
      'disk',
      'memory',
      'startup',
      'vm-variants',
      'workload',
    ]);
  });

  it.each(['cpu', 'default', 'disk', 'memory', 'startup', 'vm-variants', 'workload'])(
    '%s.yaml loads and expands',
    async (name) => {
      const scenario = await loadScenario(await findScenario(name, SCENARIOS));
      expect(scenario.name).toBe(name);
      for (const spec of scenario.cases) expect(expandCase(spec).length).toBeGreaterThan(0);
    },
  );

  it('default.yaml runs the planned iterations per target and point', async () => {
    const scenario = await loadScenario('scenarios/default.yaml');
    const plan = scenario.cases.map((spec) => [
      spec.name,
      spec.measure,
      expandCase(spec).map((point) => [
        point.label,
        point.runs.map((run) => `${run.target}${run.kernel ? `/${run.kernel}` : ''}:${run.warmup}+${run.iterations}`),
      ]),
    ]);
    const cheap = (targets: string[]) => targets.map((t) => (t === 'vm' || t === 'podman' ? `${t}:1+6` : `${t}:1+10`));
    const all = cheap(['native', 'container', 'vm', 'runc', 'crun', 'podman']);
    const three = cheap(['native', 'container', 'vm']);
    // Startup and idle memory run the VM on both kernels, stock and minimal (issue 13).
    const bothKernels = all.flatMap((run) => (run.startsWith('vm:') ? ['vm/stock:1+6', 'vm/minimal:1+6'] : [run]));
    expect(plan).toEqual([
      ['startup', 'startup', [['', bothKernels]]],
      ['idle', 'memory', [['', bothKernels]]],
      [
        'density',
        'density',
        [
          ['instances=1', cheap(['native', 'container', 'vm', 'runc'])],
          ['instances=2', ['vm:1+6']],
          ['instances=4', cheap(['native', 'container', 'runc'])],
        ],
      ],
      ['footprint', 'disk', [['', three]]],
      ['write', 'io', [['', three]]],
      ['randwrite', 'io', [['', three]]],
      ['compute', 'cpu', [['', cheap(['native', 'container', 'vm', 'runc', 'crun'])]]],
    ]);
    // Every series gets the n its 95 % order-statistics interval needs (6), native and the
    // containers 10; the budgets add up to the ~15 minutes the README promises.
    for (const spec of scenario.cases) {
      for (const point of expandCase(spec)) {
        for (const run of point.runs) {
          expect(run.iterations).toBeGreaterThanOrEqual(run.target === 'vm' || run.target === 'podman' ? 6 : 10);
        }
      }
    }
    const budgetSeconds = scenario.cases.reduce((sum, spec) => sum + (spec.budgetSeconds ?? 0), 0);
    expect(budgetSeconds).toBe(960);
  });

  it('memory.yaml sweeps density over 1, 4, 16, 64 instances (vm: 1, 2, 4, 8), peers side by side', async () => {
    const scenario = await loadScenario('scenarios/memory.yaml');
    const density = scenario.cases.find((spec) => spec.name === 'density')!;
    const all = ['native', 'container', 'runc', 'crun', 'podman'];
    expect(expandCase(density).map((point) => [point.instances, point.runs.map((run) => run.target)])).toEqual([
      [1, ['native', 'container', 'vm', 'runc', 'crun', 'podman']],
      [2, ['vm']],
      [4, ['native', 'container', 'vm', 'runc', 'crun', 'podman']],
      [8, ['vm']],
      [16, all],
      [64, all],
    ]);
  });

  it('every scenario is listed in scenarios/README.md', async () => {
    const readme = await fs.readFile('scenarios/README.md', 'utf8');
    for (const name of await listScenarios(SCENARIOS)) expect(readme).toContain(`\`${name}.yaml\``);
  });
});
