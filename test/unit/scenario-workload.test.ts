// A workload case's block: what it resolves to, and the mistakes refused at load time with their
// line (a client that names another host, a port without host networking, a target without it).
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import { parseScenario } from '../../src/scenario/index.js';

function workloadScenario(lines: string[], targets = '[native, container]'): string {
  return [
    'schemaVersion: 1',
    'name: t',
    'description: d',
    'cases:',
    '  - name: c',
    '    measure: workload',
    '    image: nginx',
    `    targets: ${targets}`,
    '    command: [nginx]',
    ...lines.map((line) => `    ${line}`),
  ].join('\n');
}

function errorOf(text: string): ScenarioError {
  try {
    parseScenario('t.yaml', text);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return error as ScenarioError;
  }
  throw new Error('expected a ScenarioError');
}

const SERVER = ['network: host', 'workload:', '  port: 18080', '  check: http', '  parser: wrk'];
const WRK = (url: string) => `  client: [wrk, -d1s, --latency, '${url}']`;

describe('workload cases', () => {
  it('resolves the server, its check and the client, with the host network', () => {
    const scenario = parseScenario('t.yaml', workloadScenario([...SERVER, WRK('http://127.0.0.1:18080/')]));
    const [entry] = scenario.cases;
    expect(entry!.network).toBe('host');
    expect(entry!.workload).toEqual({
      port: 18080,
      check: 'http',
      path: '/',
      client: ['wrk', '-d1s', '--latency', 'http://127.0.0.1:18080/'],
      parser: 'wrk',
    });
  });

  it('takes network from defaults, and none when nothing says otherwise', () => {
    const text = workloadScenario(['workload: { parser: fio }']).replace(
      'cases:',
      'defaults: { network: host }\ncases:',
    );
    expect(parseScenario('t.yaml', text).cases[0]!.network).toBe('host');
    expect(parseScenario('t.yaml', workloadScenario(['workload: { parser: fio }'])).cases[0]!.network).toBe('none');
  });

  it('refuses a client URL that leaves the host', () => {
    const error = errorOf(workloadScenario([...SERVER, WRK('http://10.0.0.1:18080/')]));
    expect(error.message).toMatch(
      /^t\.yaml:\d+: expected the client to reach 127\.0\.0\.1 only; got "http:\/\/10\.0\.0\.1/,
    );
  });

  it("refuses redis-benchmark's -h naming another host", () => {
    const error = errorOf(
      workloadScenario([
        'network: host',
        'workload:',
        '  port: 16379',
        '  check: redis',
        '  client: [redis-benchmark, -h, example.invalid, -t, get, --csv]',
        '  parser: redis-benchmark',
      ]),
    );
    expect(error.message).toContain('got "example.invalid"');
  });

  it('refuses a server port without the host network', () => {
    const error = errorOf(workloadScenario([...SERVER.slice(1), WRK('http://127.0.0.1:18080/')]));
    expect(error.message).toMatch(/expected network: host/);
  });

  it('refuses the host network on a target that cannot give it, naming the target', () => {
    const error = errorOf(workloadScenario([...SERVER, WRK('http://127.0.0.1:18080/')], '[native, vm]'));
    expect(error.message).toMatch(/network: host is not supported by vm/);
  });

  it('refuses a workload case without its block, and the block on another measure', () => {
    expect(errorOf(workloadScenario([])).message).toMatch(/needs a workload: block/);
    const startup = workloadScenario(['workload: { parser: fio }']).replace('measure: workload', 'measure: startup');
    expect(errorOf(startup).message).toMatch(/only for measure: workload/);
  });

  it('refuses a client without a port, and an unknown parser', () => {
    expect(errorOf(workloadScenario(['workload: { client: [fio], parser: fio }'])).message).toMatch(
      /expected workload\.port/,
    );
    expect(errorOf(workloadScenario(['workload: { parser: ab }'])).message).toMatch(/parser/);
  });
});
