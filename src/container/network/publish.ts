// `-p [IP:]HOSTPORT:CPORT[/tcp|udp]`: ports a container publishes on the host's loopback. The C
// helper's proxy (proxy.c) listens on IP:HOSTPORT and relays to the container's address. Only
// loopback addresses are accepted: a published port must not be reachable from off the machine.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { InputError } from '../../errors.js';
import { formatIpv4, parseIpv4 } from './subnet.js';

export interface PublishedPort {
  protocol: 'tcp' | 'udp';
  /** A 127.x.y.z address; default 127.0.0.1. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

const LOOPBACK_BASE = 0x7f000000;

function port(text: string, what: string, spec: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new InputError(`expected -p's ${what} to be a port 1-65535, got '${spec}'`, {
      hint: 'e.g. -p 8080:80 or -p 127.0.0.1:5353:53/udp',
    });
  }
  return Number(text);
}

/** Parses one -p value. @throws InputError naming the value. */
export function parsePublish(spec: string): PublishedPort {
  const slash = spec.indexOf('/');
  const protocol = slash < 0 ? 'tcp' : spec.slice(slash + 1);
  if (protocol !== 'tcp' && protocol !== 'udp') {
    throw new InputError(`expected -p's protocol to be tcp or udp, got '${spec}'`, { hint: 'e.g. -p 8080:80/tcp' });
  }
  const parts = (slash < 0 ? spec : spec.slice(0, slash)).split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new InputError(`expected -p [127.0.0.1:]HOSTPORT:CPORT[/tcp|udp], got '${spec}'`, {
      hint: 'e.g. -p 8080:80',
    });
  }
  const hostIpText = parts.length === 3 ? parts[0]! : '127.0.0.1';
  const hostIp = parseIpv4(hostIpText);
  if (hostIp === undefined || hostIp >>> 24 !== LOOPBACK_BASE >>> 24) {
    throw new InputError(`expected -p's host address to be a loopback address (127.x.y.z), got '${spec}'`, {
      hint: 'published ports stay on this machine: omit the address (127.0.0.1) or give another 127.x.y.z',
    });
  }
  return {
    protocol,
    hostIp: formatIpv4(hostIp),
    hostPort: port(parts.at(-2)!, 'host port', spec),
    containerPort: port(parts.at(-1)!, 'container port', spec),
  };
}

/** Parses every -p value and refuses the same host address and port twice. */
export function parsePublishList(specs: readonly string[]): PublishedPort[] {
  const ports = specs.map(parsePublish);
  const seen = new Set<string>();
  for (const p of ports) {
    const key = `${p.protocol} ${p.hostIp}:${p.hostPort}`;
    if (seen.has(key)) throw new InputError(`-p publishes ${p.hostIp}:${p.hostPort}/${p.protocol} twice`);
    seen.add(key);
  }
  return ports;
}

/** Resolves once a listener could bind `p` (then closes it), or rejects with its errno code. */
function probe(p: PublishedPort): Promise<void> {
  return new Promise((resolve, reject) => {
    if (p.protocol === 'udp') {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind({ address: p.hostIp, port: p.hostPort, exclusive: true }, () => socket.close(() => resolve()));
      return;
    }
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: p.hostIp, port: p.hostPort, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Refuses a host port something already listens on, before anything is created. The helper binds
 * again when it launches (the authority: a port taken in between fails the launch, cleanly).
 * @throws InputError naming the port.
 */
export async function checkPortsFree(ports: readonly PublishedPort[]): Promise<void> {
  for (const p of ports) {
    try {
      await probe(p);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new InputError(
        `cannot publish ${p.hostIp}:${p.hostPort}/${p.protocol}: ${code === 'EADDRINUSE' ? 'the port is already in use' : code}`,
        {
          hint: 'choose another host port with -p HOSTPORT:CPORT',
        },
      );
    }
  }
}
