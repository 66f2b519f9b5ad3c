import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, ScenarioError } from '../../src/errors.js';
import { findScenario, loadScenario, MAX_SCENARIO_BYTES, parseScenario } from '../../src/scenario/index.js';
import { METRIC_NAMES } from '../../src/vocabulary.js';

const FIXTURES = 'test/fixtures/scenarios';
const TARGETS = 'native, container, vm, runc, crun, podman';

/** Runs `load` and returns the ScenarioError it must throw. */
async function scenarioError(load: () => unknown): Promise<ScenarioError> {
  try {
    await load();
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return error as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

describe('vm.kernel', () => {
  const scenario = (vm: string) =>
    [
      'schemaVersion: 1',
      'name: t',
      'description: d',
      'cases:',
      '  - name: c',
      '    measure: startup',
      '    command: [isobench-probe, ready, exit=0]',
      `    vm: ${vm}`,
    ].join('\n');

  it('names the allowed kernels for an unknown one', async () => {
    const error = await scenarioError(() => parseScenario('t.yaml', scenario('{ kernel: tiny }')));
    expect(error.message).toMatch(/^t\.yaml:8: expected .*kernel.* to be /);
    expect(error.message).toContain('"tiny"');
  });

  it('rejects a kernel named twice', async () => {
    const error = await scenarioError(() => parseScenario('t.yaml', scenario('{ kernel: [minimal, minimal] }')));
    expect(error.message).toContain('duplicate kernel "minimal"');
  });
});

describe('bad fixture files give ScenarioError at the exact line with the expected form', () => {
  const cases: Array<[string, number, string]> = [
    [
      'unknown-key',
      8,
      'unknown key "iteratons" in cases[0]: did you mean "iterations"? expected one of name, description, measure, ' +
        'command, ready, env, limits, sweep, workload, targets, warmup, iterations, timeoutSeconds, ' +
        'budgetSeconds, network, sampleIntervalMs, holdMs, settleMs, baselineTolerance, baselineWaitMs, image, vm, perTarget',
    ],
    ['wrong-type', 5, 'expected iterations to be an integer; got "ten"'],
    ['bad-measure', 7, 'expected measure to be one of startup, memory, density, disk, io, cpu, workload; got "speed"'],
    [
      'bad-size',
      9,
      'expected memory to be a size like 128m, 1g or 512k (digits and an optional binary unit k, m, g, t); got "12q"',
    ],
    ['unknown-target', 10, `expected targets[1] to be one of ${TARGETS}; got "docker"`],
    [
      'unknown-metric',
      10,
      `unknown metric "startup.exti" in thresholds: did you mean "startup.exit"? expected one of ${METRIC_NAMES.join(', ')}`,
    ],
    ['duplicate-case', 8, 'duplicate case name "hello": expected unique case names (first on line 5)'],
    ['yaml-syntax', 3, 'invalid YAML: Missing closing "quote (opened here, still open on line 5)'],
    ['empty', 1, 'empty scenario: expected a mapping with schemaVersion, name, description and cases'],
    ['alias-bomb', 5, 'aliases (*name) are not supported: expected plain values'],
  ];
  it.each(cases)('%s.yaml', async (name, line, message) => {
    const file = `${FIXTURES}/${name}.yaml`;
    const error = await scenarioError(() => loadScenario(file));
    expect(error.file).toBe(file);
    expect(error.line).toBe(line);
    expect(error.message).toBe(`${file}:${line}: ${message}`);
    expect(error.hint).toBeTruthy();
  });
});

/** A valid file with one case whose body is `caseLines` (indented 4), and optional extra top-level text. */
function scenarioText(caseLines: string[], extra = ''): string {
  return [
    'schemaVersion: 1',
    'name: t',
    'description: d',
    'cases:',
    '  - name: a',
    ...caseLines.map((line) => `    ${line}`),
    extra,
  ].join('\n');
}

describe('every other check reports its line and the expected form', () => {
  const probe = 'command: [isobench-probe, ready, exit=0]';
  const cases: Array<[string, string, number, string]> = [
    [
      'schema version',
      'schemaVersion: 2\nname: t\ndescription: d\ncases: []\n',
      1,
      'expected schemaVersion to be 1; got 2',
    ],
    [
      'missing key',
      scenarioText([probe]),
      5,
      'missing measure: expected one of startup, memory, density, disk, io, cpu, workload',
    ],
    [
      'empty cases',
      'schemaVersion: 1\nname: t\ndescription: d\ncases: []\n',
      4,
      'expected cases to be a list of at least 1 item; got a list',
    ],
    [
      'unknown top-level key',
      `${scenarioText(['measure: startup', probe])}\ndefault:\n  warmup: 1\n`,
      9,
      'unknown key "default" at the top level: did you mean "defaults"? expected one of schemaVersion, name, description, defaults, cases, thresholds',
    ],
    [
      'name differs from the file',
      scenarioText(['measure: startup', probe]).replace('name: t', 'name: other'),
      2,
      'expected name to match the file name "t"; got "other"',
    ],
    [
      'command as a string',
      scenarioText(['measure: startup', 'command: isobench-probe ready']),
      7,
      'expected command to be a list; got "isobench-probe ready"',
    ],
    [
      'probe step typo',
      scenarioText(['measure: startup', 'command:', '  - isobench-probe', '  - alloc=1x'], ''),
      9,
      'expected a probe step (ready[=MARKER], sleep=MS, alloc=MIB, write=MIB[:PATH], randwrite=MIB[:PATH], compute=N, idle or exit=N); got "alloc=1x"',
    ],
    [
      'probe step after {param}',
      scenarioText(['measure: startup', "command: [isobench-probe, 'alloc={param}']", 'sweep: { param: [1, x] }']),
      7,
      'expected a probe step (ready[=MARKER], sleep=MS, alloc=MIB, write=MIB[:PATH], randwrite=MIB[:PATH], compute=N, idle or exit=N); got "alloc=x" (from "alloc={param}")',
    ],
    [
      '{param} without sweep',
      scenarioText(['measure: startup', "command: [echo, '{param}']"]),
      7,
      'the command uses {param} but the case has no sweep.param: expected a sweep: { param: [...] }',
    ],
    [
      'sweep.param without {param}',
      scenarioText(['measure: startup', probe, 'sweep:', '  param: [a]']),
      9,
      'sweep.param is set but the command has no {param}: expected {param} in an argument',
    ],
    [
      'memory case without ready',
      scenarioText(['measure: memory', 'command: [isobench-probe, idle]']),
      7,
      'a memory case samples after ready: expected a ready step in the command or a ready: marker',
    ],
    [
      'ready marker never printed',
      scenarioText(['measure: startup', probe, 'ready: HELLO']),
      8,
      'expected ready to be a prefix of the marker the probe prints ("ISOBENCH-READY"); got "HELLO"',
    ],
    [
      'duplicate target',
      scenarioText(['measure: startup', probe, 'targets: [vm, native, vm]']),
      8,
      'duplicate target "vm" in targets',
    ],
    [
      'perTarget for a target not run',
      scenarioText(['measure: startup', probe, 'targets: [native]', 'perTarget:', '  vm: { iterations: 1 }']),
      10,
      "perTarget.vm: expected one of this case's targets (native)",
    ],
    [
      'perTarget misspelt target',
      scenarioText(['measure: startup', probe, 'perTarget:', '  qemu: { iterations: 1 }']),
      9,
      `unknown key "qemu" in perTarget: expected one of ${TARGETS}`,
    ],
    [
      'perTarget sweep not a subset',
      scenarioText([
        'measure: density',
        'command: [isobench-probe, ready, idle]',
        'sweep: { instances: [1, 2] }',
        'perTarget:',
        '  vm:',
        '    sweep:',
        '      instances: [1, 3]',
      ]),
      12,
      "expected instances to be one of the case's sweep values (1, 2); got 3",
    ],
    [
      'duplicate sweep value',
      scenarioText([
        'measure: density',
        'command: [isobench-probe, ready, idle]',
        'sweep:',
        '  instances:',
        '    - 1',
        '    - 1',
      ]),
      11,
      'duplicate instances value 1 in sweep',
    ],
    [
      'zero instances',
      scenarioText(['measure: density', 'command: [isobench-probe, ready, idle]', 'sweep: { instances: [0] }']),
      8,
      'expected instances[0] to be at least 1; got 0',
    ],
    [
      'vm memory not whole MiB',
      scenarioText(['measure: startup', probe, 'vm: { memory: 100000k }']),
      8,
      'expected memory to be whole MiB from 64m to 64g; got "100000k"',
    ],
    [
      'sweep memory too small for vm',
      scenarioText(['measure: memory', 'command: [isobench-probe, ready, idle]', 'sweep:', '  memory: [128m, 32m]']),
      9,
      'expected memory to be whole MiB from 64m to 64g when vm runs; got "32m"',
    ],
    [
      'fractional vCPUs',
      scenarioText(['measure: cpu', 'command: [isobench-probe, compute=1]', 'sweep:', '  cpus: [1, 1.5]']),
      9,
      'expected cpus to be a whole number when vm runs (vCPUs); got 1.5',
    ],
    [
      'limit below 4m',
      scenarioText(['measure: startup', probe, 'limits:', '  memory: 1m']),
      9,
      'expected memory to be at least 4m; got "1m"',
    ],
    [
      'bad machine',
      scenarioText(['measure: startup', probe, 'vm:', '  machine: pc']),
      9,
      'expected machine to be one of microvm, q35; got "pc"',
    ],
    [
      'bad env name',
      scenarioText(['measure: startup', probe, 'env:', '  "A-B": x']),
      9,
      'expected an environment variable name like GREETING (letters, digits, _); got "A-B"',
    ],
    [
      'threshold as a number',
      scenarioText(['measure: startup', probe], 'thresholds:\n  startup.exit: 10\n'),
      9,
      'expected startup.exit to be a percentage like 10%; got 10',
    ],
    [
      'threshold of zero',
      scenarioText(['measure: startup', probe], 'thresholds:\n  startup.exit: 0%\n'),
      9,
      'expected startup.exit to be a percentage above 0%; got "0%"',
    ],
    [
      'threshold nothing measures',
      scenarioText(['measure: startup', probe], 'thresholds:\n  memory.pss: 5%\n'),
      9,
      'threshold for memory.pss, which no case measures: expected a case with measure memory or density or workload',
    ],
    [
      'empty value',
      scenarioText(['measure: startup', probe, 'iterations:']),
      8,
      'expected iterations to be an integer; got an empty value',
    ],
    [
      'unknown tag',
      scenarioText(['measure: !!js/function startup', probe]),
      6,
      'invalid YAML: Unresolved tag: tag:yaml.org,2002:js/function',
    ],
    [
      'duplicate key',
      scenarioText(['measure: startup', 'measure: memory', probe]),
      7,
      'invalid YAML: Map keys must be unique',
    ],
    [
      'two documents',
      `${scenarioText(['measure: startup', probe])}\n---\nname: x\n`,
      9,
      'invalid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()',
    ],
    [
      'tab indentation',
      'schemaVersion: 1\nname: t\n\tdescription: d\n',
      3,
      'invalid YAML: Tabs are not allowed as indentation',
    ],
  ];
  cases.push(
    [
      'density baseline tolerance that is not a size',
      scenarioText(['measure: density', 'command: [isobench-probe, ready, idle]', 'baselineTolerance: 12q']),
      8,
      'expected baselineTolerance to be a size like 128m, 1g or 512k (digits and an optional binary unit k, m, g, t); got "12q"',
    ],
    [
      'negative settle pause',
      scenarioText(['measure: startup', 'command: [/bin/true]', 'settleMs: -5']),
      8,
      'expected settleMs to be at least 0; got -5',
    ],
    [
      'misspelt required key',
      scenarioText(['command: [/bin/true]', 'measur: startup']),
      7,
      'unknown key "measur" in cases[0]: did you mean "measure"? expected one of name, description, measure, command, ' +
        'ready, env, limits, sweep, workload, targets, warmup, iterations, timeoutSeconds, budgetSeconds, network, sampleIntervalMs, ' +
        'holdMs, settleMs, baselineTolerance, baselineWaitMs, image, vm, perTarget',
    ],
    [
      'flow nesting bomb',
      `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
      1,
      '[ ] and { } nested 17 deep: expected at most 16',
    ],
    [
      'indentation bomb',
      `a:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 2)}- `).join('\n')}x\n`,
      121,
      'indentation of 121 columns: expected at most 120',
    ],
  );
  it.each(cases)('%s', async (_what, text, line, message) => {
    const error = await scenarioError(() => parseScenario('dir/t.yaml', text));
    expect(error.message).toBe(`dir/t.yaml:${line}: ${message}`);
    expect(error.line).toBe(line);
  });
});

describe('files are read as hostile input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-scenario-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('rejects a file above the size cap', async () => {
    const file = path.join(dir, 'big.yaml');
    await fs.writeFile(file, `# ${'x'.repeat(MAX_SCENARIO_BYTES)}\n`);
    const error = await scenarioError(() => loadScenario(file));
    expect(error.message).toBe(`${file}:1: file too large: expected at most 1048576 bytes`);
  });

  it('rejects something that is not a regular file without reading it', async () => {
    const error = await scenarioError(() => loadScenario(dir));
    expect(error.message).toBe(`${dir}:1: expected a regular file`);
  });

  it('rejects text that is not UTF-8', async () => {
    const file = path.join(dir, 'latin1.yaml');
    await fs.writeFile(file, Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
    const error = await scenarioError(() => loadScenario(file));
    expect(error.message).toBe(`${file}:1: expected UTF-8 text`);
  });

  it('reports a missing file as NotFoundError, and findScenario lists the known names', async () => {
    await expect(loadScenario(path.join(dir, 'absent.yaml'))).rejects.toBeInstanceOf(NotFoundError);
    const scenariosDir = path.join(dir, 'scenarios');
    await fs.mkdir(scenariosDir);
    await fs.writeFile(path.join(scenariosDir, 'one.yaml'), '');
    await fs.writeFile(path.join(scenariosDir, 'notes.txt'), '');
    expect(await findScenario('one', scenariosDir)).toBe(path.join(scenariosDir, 'one.yaml'));
    const error = await findScenario('two', scenariosDir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).hint).toBe('known scenarios: one');
  });
});
