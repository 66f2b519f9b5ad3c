// The workload measure's part of a case: the network its targets give it, and the server, readiness
// check and load generator, with the checks zod cannot express. The client runs on the host as
// root, so it may only talk to 127.0.0.1.
import { HOST_NETWORK_TARGETS, type TargetKind } from '../vocabulary.js';
import type { Fail, Path } from './resolve.js';
import type { CaseFile, CaseNetwork, WorkloadSettings } from './schema.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost']);

/** Flags whose value names the server's host, per load generator (wrk takes a URL). */
const HOST_FLAGS: Record<string, readonly string[]> = {
  'redis-benchmark': ['-h'],
  iperf3: ['-c', '--client'],
};

export function resolveNetwork(
  raw: CaseFile,
  defaults: { network?: CaseNetwork | undefined },
  targets: TargetKind[],
  at: Path,
  fail: Fail,
): CaseNetwork {
  const network = raw.network ?? defaults.network ?? 'none';
  const networkAt: Path = raw.network === undefined ? ['defaults', 'network'] : [...at, 'network'];
  if (network !== 'host') return network;
  const unable = targets.filter((target) => !HOST_NETWORK_TARGETS.includes(target));
  if (unable.length > 0) {
    fail(
      networkAt,
      `network: host is not supported by ${unable.join(', ')}: expected targets among ${HOST_NETWORK_TARGETS.join(', ')}`,
      'drop those targets from the case (targets: [...])',
    );
  }
  return network;
}

export function resolveWorkload(
  raw: CaseFile,
  network: CaseNetwork,
  at: Path,
  fail: Fail,
): WorkloadSettings | undefined {
  const block = raw.workload;
  const blockAt: Path = [...at, 'workload'];
  if (raw.measure !== 'workload') {
    if (block !== undefined)
      fail(blockAt, `workload: is only for measure: workload; this case measures ${raw.measure}`);
    return undefined;
  }
  if (block === undefined) {
    return fail([...at, 'measure'], 'a workload case needs a workload: block (parser, and port + client for a server)');
  }
  if (block.client !== undefined && block.port === undefined) {
    fail([...blockAt, 'client'], 'a client needs the server port: expected workload.port');
  }
  if (block.port !== undefined) {
    if (block.client === undefined)
      fail([...blockAt, 'port'], 'a server port needs a load generator: expected workload.client');
    if (network !== 'host') {
      fail(
        [...at, 'network'],
        'the client reaches the server on 127.0.0.1: expected network: host in a case with workload.port',
      );
    }
  } else if (block.check !== undefined || block.path !== undefined) {
    fail(blockAt, 'check and path are for a server: expected workload.port and workload.client with them');
  }
  if (block.path !== undefined && block.check !== 'http') {
    fail([...blockAt, 'path'], 'path is for the http check: expected check: http');
  }
  if (block.client !== undefined) checkLoopbackOnly(block.client, block.parser, [...blockAt, 'client'], fail);
  return {
    ...(block.port === undefined ? {} : { port: block.port }),
    check: block.check ?? 'tcp',
    path: block.path ?? '/',
    ...(block.client === undefined ? {} : { client: [...block.client] }),
    parser: block.parser,
  };
}

/** Every URL and host flag of the client must name 127.0.0.1: no traffic leaves the host. */
function checkLoopbackOnly(client: string[], parser: string, at: Path, fail: Fail): void {
  const hostFlags = HOST_FLAGS[parser] ?? [];
  client.forEach((arg, index) => {
    let host: string | undefined;
    if (arg.includes('://')) {
      try {
        host = new URL(arg).hostname;
      } catch {
        host = arg;
      }
    } else if (index > 0 && hostFlags.includes(client[index - 1]!)) {
      host = arg;
    }
    if (host !== undefined && !LOOPBACK.has(host)) {
      fail([...at, index], `expected the client to reach 127.0.0.1 only; got "${arg}"`);
    }
  });
}
