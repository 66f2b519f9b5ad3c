import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expandCase, findScenario, listScenarios, loadScenario } from '../../src/scenario/index.js';

const SCENARIOS = 'scenarios';

describe('the shipped scenarios', () => {
  it('are the six documented files', async () => {
    expect(await listScenarios(SCENARIOS)).toEqual(['cpu', 'default', 'disk', 'memory', 'startup', 'vm-variants']);
  });

  it.each(['cpu', 'default', 'disk', 'memory', 'startup', 'vm-variants'])('%s.yaml loads and expands', async (name) => {
    const scenario = await loadScenario(await findScenario(name, SCENARIOS));
    expect(scenario.name).toBe(name);
    for (const spec of scenario.cases) expect(expandCase(spec).length).toBeGreaterThan(0);
  });

  it('default.yaml runs the planned iterations per target and point', async () => {
    const scenario = await loadScenario('scenarios/default.yaml');
    const plan = scenario.cases.map((spec) => [
      spec.name,
      spec.measure,
      expandCase(spec).map((point) => [
        point.label,
        point.runs.map((run) => `${run.target}:${run.warmup}+${run.iterations}`),
      ]),
    ]);
    const three = ['native:1+3', 'container:1+3', 'vm:1+3'];
    expect(plan).toEqual([
      [
        'startup',
        'startup',
        [['', ['native:1+10', 'container:1+10', 'vm:1+5', 'runc:1+10', 'crun:1+10', 'podman:1+3']]],
      ],
      ['idle', 'memory', [['', ['native:1+3', 'container:1+3', 'vm:1+3', 'runc:1+3', 'crun:1+3']]]],
      [
        'density',
        'density',
        [
          ['instances=1', three],
          ['instances=2', ['vm:1+3']],
          ['instances=4', ['native:1+3', 'container:1+3']],
        ],
      ],
      ['footprint', 'disk', [['', three]]],
      ['write', 'io', [['', three]]],
      ['randwrite', 'io', [['', three]]],
      ['compute', 'cpu', [['', ['native:1+3', 'container:1+3', 'vm:1+3', 'runc:1+3', 'crun:1+3']]]],
    ]);
    // podman is slow (~0.4-0.9 s a run): only in the startup case.
    expect(scenario.cases.filter((spec) => spec.targets.includes('podman')).map((spec) => spec.name)).toEqual([
      'startup',
    ]);
    const budgetSeconds = scenario.cases.reduce((sum, spec) => sum + (spec.budgetSeconds ?? 0), 0);
    expect(budgetSeconds).toBe(570);
  });

  it('memory.yaml sweeps density over 1, 2, 4, 8 instances, and 1, 2 for vm', async () => {
    const scenario = await loadScenario('scenarios/memory.yaml');
    const density = scenario.cases.find((spec) => spec.name === 'density')!;
    expect(expandCase(density).map((point) => [point.instances, point.runs.map((run) => run.target)])).toEqual([
      [1, ['native', 'container', 'vm']],
      [2, ['native', 'container', 'vm']],
      [4, ['native', 'container']],
      [8, ['native', 'container']],
    ]);
  });

  it('every scenario is listed in scenarios/README.md', async () => {
    const readme = await fs.readFile('scenarios/README.md', 'utf8');
    for (const name of await listScenarios(SCENARIOS)) expect(readme).toContain(`\`${name}.yaml\``);
  });
});
