// Host-only bridge networks through the real CLI: `network create|ls|inspect|rm`, containers on one
// network reaching each other by name, a published port fetched from the host's loopback, bad
// input refused with nothing changed, gc after a killed monitor, and no link left behind.
// NOTE: every packet here goes to 127.0.0.1 or to an address inside the networks this file makes.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeName, vethName } from '../../src/container/network/names.js';
import { packageDir } from '../../src/paths.js';
import { commitBusyboxImage } from '../fixtures/busybox-image.js';
import { runCli } from '../fixtures/cli-process.js';
import { requireHost } from '../support/host.js';
import { makeTestRoot, removeTestRoot, type TestRoot, waitUntil } from './runtime-fixture.js';

await requireHost('root');

const UDP_ECHO_SOURCE = path.join(packageDir(), 'test', 'fixtures', 'network', 'udp-echo.c');

let t: TestRoot;
let linksBefore: string[];

/** Names of the host's links (`ip -o link`). */
function linkNames(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(': ')[1]!.split('@')[0]!)
    .sort();
}

/** The host's NAT/filter rules as text, from whichever of iptables-save and nft is installed. */
function hostRuleset(): string {
  let text = '';
  for (const [cmd, args] of [
    ['iptables-save', []],
    ['nft', ['list', 'ruleset']],
  ] as const) {
    try {
      text += execFileSync(cmd, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      // Not installed: it holds no rule either.
    }
  }
  return text;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** GET http://127.0.0.1:PORT/ -> body, or undefined on any error. */
function fetchLoopback(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

/** A shell line that serves "hello from NAME" with busybox httpd on PORT, in the foreground. */
const serve = (name: string, port: number) =>
  `mkdir -p /www && echo "hello from ${name}" > /www/index.html && exec busybox httpd -f -p ${port} -h /www`;

const inspect = async (what: string[]) => {
  const result = await runCli(t.root, what);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout);
};

beforeAll(async () => {
  t = await makeTestRoot('network');
  const udpEcho = path.join(t.root, 'udp-echo');
  execFileSync('cc', ['-O2', '-static', '-Wall', '-Wextra', '-Werror', '-o', udpEcho, UDP_ECHO_SOURCE]);
  await commitBusyboxImage(
    t.root,
    'bb:1',
    { Env: ['PATH=/bin'], Cmd: ['sh'] },
    { files: [{ source: udpEcho, target: '/bin/udp-echo' }] },
  );
  linksBefore = linkNames();
});

afterAll(async () => {
  if (!t) return;
  for (const c of JSON.parse((await runCli(t.root, ['ps', '-a', '--json'])).stdout) as Array<{ id: string }>) {
    await runCli(t.root, ['rm', '-f', c.id]);
  }
  for (const n of JSON.parse((await runCli(t.root, ['network', 'ls', '--json'])).stdout) as Array<{ name: string }>) {
    await runCli(t.root, ['network', 'rm', n.name]);
  }
  // Nothing leaks: the host's links are what they were (the veths went with their namespaces).
  await waitUntil(() => linkNames().join() === linksBefore.join(), 'the links to be as before');
  expect(await removeTestRoot(t)).toEqual({ mounts: [], cgroups: [], pids: [] });
});

describe('network create, ls, inspect', () => {
  it('creates a host-only bridge with the gateway address, no forwarding and no NAT', async () => {
    expect(await runCli(t.root, ['network', 'create', 'web'])).toMatchObject({ code: 0, stdout: 'web\n' });
    const net = await inspect(['network', 'inspect', 'web']);
    expect(net).toMatchObject({ name: 'web', bridge: bridgeName(t.root, 'web'), containers: [] });
    expect(net.subnet).toMatch(/^10\.213\.\d+\.0\/24$/);
    const addr = execFileSync('ip', ['-o', '-4', 'addr', 'show', 'dev', net.bridge], { encoding: 'utf8' });
    expect(addr).toContain(`inet ${net.gateway}/24`);
    expect(readFileSync(`/proc/sys/net/ipv4/conf/${net.bridge}/forwarding`, 'utf8').trim()).toBe('0');
    const subnetPrefix = net.subnet.split('/')[0].split('.').slice(0, 3).join('.');
    expect(hostRuleset()).not.toMatch(
      new RegExp(
        `(MASQUERADE|SNAT|masquerade|snat)[^\\n]*${subnetPrefix}|${subnetPrefix}[^\\n]*(MASQUERADE|SNAT|masquerade|snat)`,
      ),
    );
    const ls = await runCli(t.root, ['network', 'ls']);
    expect(ls.stdout).toMatch(new RegExp(`web\\s+${net.bridge}\\s+${net.subnet.replaceAll('.', '\\.')}`));
  });

  it('refuses a taken name, an overlapping subnet and a public one: one line, nothing changed', async () => {
    const net = await inspect(['network', 'inspect', 'web']);
    const links = linkNames();
    const dup = await runCli(t.root, ['network', 'create', 'web']);
    expect(dup).toMatchObject({ code: 4, stdout: '' });
    expect(dup.stderr).toMatch(/^isobench: network web already exists.*\n$/);
    const overlap = await runCli(t.root, ['network', 'create', '--subnet', net.subnet, 'other']);
    expect(overlap).toMatchObject({ code: 2, stdout: '' });
    expect(overlap.stderr).toMatch(
      new RegExp(`^isobench: subnet ${net.subnet.replaceAll('.', '\\.')} overlaps [^\\n]*\\n$`),
    );
    const host = await runCli(t.root, ['network', 'create', '--subnet', '8.8.8.0/24', 'other']);
    expect(host).toMatchObject({ code: 2 });
    expect(host.stderr.split('\n')).toHaveLength(2);
    expect(linkNames()).toEqual(links);
    expect(readdirSync(path.join(t.root, 'networks'))).toEqual(['web']);
  });
});

describe('containers on one network', () => {
  it('reach each other by name; only the subnet and a default via the gateway are routed', async () => {
    const net = await inspect(['network', 'inspect', 'web']);
    const a = await runCli(t.root, [
      'run',
      '-d',
      '--name',
      'srv-a',
      '--network',
      'web',
      'bb:1',
      'sh',
      '-c',
      serve('a', 8080),
    ]);
    expect(a).toMatchObject({ code: 0, stderr: '' });
    const script = [
      'for i in $(busybox seq 100); do busybox wget -q -O- http://srv-a:8080/ && break; sleep 0.1; done',
      'busybox ping -c 1 -W 5 srv-a >/dev/null && echo ping-ok',
      'busybox ip -4 route',
      'grep srv-a /etc/hosts',
    ].join('; ');
    const b = await runCli(t.root, ['run', '--rm', '--name', 'cli-b', '--network', 'web', 'bb:1', 'sh', '-c', script]);
    expect(b).toMatchObject({ code: 0, stderr: '' });
    const record = await inspect(['inspect', 'srv-a']);
    const lines = b.stdout.split('\n');
    expect(lines[0]).toBe('hello from a');
    expect(lines[1]).toBe('ping-ok');
    // Exactly two routes: the default via the bridge's address, and the bridge's subnet.
    const routes = lines.slice(2, 4).map((l) => l.trim().replace(/\s+/g, ' '));
    expect(routes[0]).toBe(`default via ${net.gateway} dev eth0`);
    expect(routes[1]).toMatch(new RegExp(`^${net.subnet.replaceAll('.', '\\.')} dev eth0 scope link src 10\\.213\\.`));
    expect(lines[4]).toBe(`${record.address}\tsrv-a ${record.hostname}`);
    expect(lines.slice(5)).toEqual(['']);
    expect(record).toMatchObject({ network: 'bridge', networkName: 'web' });
    expect((await inspect(['network', 'inspect', 'web'])).containers.map((c: { name: string }) => c.name)).toEqual([
      'srv-a',
    ]);
  });

  it('gives concurrent runs different addresses', async () => {
    // Detached and alive together: an address is free again once its container has stopped.
    const names = [1, 2, 3, 4].map((i) => `many-${i}`);
    const runs = await Promise.all(
      names.map((name) => runCli(t.root, ['run', '-d', '--name', name, '--network', 'web', 'bb:1', 'sleep', '600'])),
    );
    for (const r of runs) expect(r).toMatchObject({ code: 0, stderr: '' });
    const addresses = await Promise.all(names.map(async (name) => (await inspect(['inspect', name])).address));
    expect(new Set(addresses).size).toBe(4);
    for (const name of names) expect(await runCli(t.root, ['rm', '-f', name])).toMatchObject({ code: 0 });
  });

  it('refuses to remove a network in use', async () => {
    const busy = await runCli(t.root, ['network', 'rm', 'web']);
    expect(busy).toMatchObject({ code: 4, stdout: '' });
    expect(busy.stderr).toMatch(/^isobench: network web is in use by 1 container\(s\): srv-a.*\n$/);
    expect(existsSync(`/sys/class/net/${bridgeName(t.root, 'web')}`)).toBe(true);
  });

  it('makes the default network `bridge` on first use', async () => {
    const r = await runCli(t.root, [
      'run',
      '--rm',
      '--network',
      'bridge',
      'bb:1',
      'busybox',
      'ip',
      '-4',
      '-o',
      'addr',
      'show',
      'eth0',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const net = await inspect(['network', 'inspect', 'bridge']);
    expect(r.stdout).toContain(`inet ${net.subnet.replace(/0\/24$/, '2/24')}`);
    expect(await runCli(t.root, ['network', 'rm', 'bridge'])).toMatchObject({ code: 0 });
    expect(existsSync(`/sys/class/net/${net.bridge}`)).toBe(false);
  });
});

describe('-p', () => {
  it("serves a container's port on the host's 127.0.0.1 for as long as the container runs", async () => {
    const port = await freePort();
    const r = await runCli(t.root, [
      'run',
      '-d',
      '--name',
      'pub',
      '--network',
      'web',
      '-p',
      `${port}:8081`,
      'bb:1',
      'sh',
      '-c',
      serve('pub', 8081),
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    let body: string | undefined;
    await waitUntil(async () => {
      body = await fetchLoopback(port);
      return body !== undefined;
    }, 'the published port to answer');
    expect(body).toBe('hello from pub\n');
    expect(await runCli(t.root, ['rm', '-f', 'pub'])).toMatchObject({ code: 0 });
    // The relay went with the container: the port is free again.
    await waitUntil(async () => (await fetchLoopback(port)) === undefined, 'the published port to close');
    const server = await new Promise<Server>((resolve) => {
      const s = createServer().listen(port, '127.0.0.1', () => resolve(s));
    });
    server.close();
  });

  it('relays UDP datagrams both ways', async () => {
    const port = await freePort();
    const r = await runCli(t.root, [
      'run',
      '-d',
      '--name',
      'udp',
      '--network',
      'web',
      '-p',
      `127.0.0.1:${port}:5353/udp`,
      'bb:1',
      'udp-echo',
      '5353',
    ]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const socket = createSocket('udp4');
    try {
      let reply: string | undefined;
      socket.on('message', (msg) => {
        reply = msg.toString();
      });
      await waitUntil(() => {
        socket.send('hi', port, '127.0.0.1');
        return reply !== undefined;
      }, 'a UDP reply through the relay');
      expect(reply).toBe('echo:hi');
    } finally {
      socket.close();
      await runCli(t.root, ['rm', '-f', 'udp']);
    }
  });

  it('refuses a port in use: one line, exit 2, no container and no link made', async () => {
    const server = await new Promise<Server>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
    });
    const { port } = server.address() as { port: number };
    try {
      const links = linkNames();
      const containers = readdirSync(path.join(t.root, 'containers')).length;
      const r = await runCli(t.root, ['run', '--rm', '--network', 'web', '-p', `${port}:80`, 'bb:1', 'true']);
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toMatch(
        new RegExp(`^isobench: cannot publish 127\\.0\\.0\\.1:${port}/tcp: the port is already in use[^\\n]*\\n$`),
      );
      expect(readdirSync(path.join(t.root, 'containers'))).toHaveLength(containers);
      expect(linkNames()).toEqual(links);
    } finally {
      server.close();
    }
  });

  it('refuses -p off the loopback and without a bridge network', async () => {
    const off = await runCli(t.root, ['run', '--rm', '--network', 'web', '-p', '0.0.0.0:8080:80', 'bb:1', 'true']);
    expect(off).toMatchObject({ code: 2 });
    expect(off.stderr).toMatch(/^isobench: expected -p's host address to be a loopback address/);
    const none = await runCli(t.root, ['run', '--rm', '-p', '8080:80', 'bb:1', 'true']);
    expect(none).toMatchObject({ code: 2 });
    expect(none.stderr).toMatch(/^isobench: -p needs a bridge network, got --network none/);
  });
});

describe('gc', () => {
  it("after its monitor is SIGKILLed, removes the container's veth and releases its address", async () => {
    const r = await runCli(t.root, ['run', '-d', '--name', 'orphan', '--network', 'web', 'bb:1', 'sleep', '600']);
    expect(r).toMatchObject({ code: 0 });
    const record = await inspect(['inspect', 'orphan']);
    const veth = vethName(record.id);
    expect(linkNames()).toContain(veth);
    const lease = path.join(t.root, 'networks', 'web', 'leases', record.address);
    expect(existsSync(lease)).toBe(true);
    process.kill(record.monitorPid, 'SIGKILL');
    const gc = await runCli(t.root, ['gc']);
    expect(gc).toMatchObject({ code: 0 });
    // The workload dies with its monitor (PR_SET_PDEATHSIG) or is killed by gc.
    expect(gc.stdout).toMatch(new RegExp(`(killed orphan|marked stopped): ${record.id.slice(0, 12)} \\(orphan\\)`));
    expect(gc.stdout).toContain(`released address: web ${record.address} (orphan)`);
    expect(existsSync(lease)).toBe(false);
    await waitUntil(() => !linkNames().includes(veth), 'the veth to go with the namespace');
    expect(readFileSync(path.join(t.root, 'networks', 'web', 'hosts'), 'utf8')).not.toContain('orphan');
  });
});

describe('network rm', () => {
  it('removes a network once no container is on it: bridge, record and leases', async () => {
    const net = await inspect(['network', 'inspect', 'web']);
    expect(await runCli(t.root, ['rm', '-f', 'srv-a'])).toMatchObject({ code: 0 });
    expect(await runCli(t.root, ['network', 'rm', 'web'])).toMatchObject({ code: 0, stdout: 'web\n', stderr: '' });
    expect(existsSync(`/sys/class/net/${net.bridge}`)).toBe(false);
    expect(readdirSync(path.join(t.root, 'networks'))).toEqual([]);
    const gone = await runCli(t.root, ['network', 'inspect', 'web']);
    expect(gone).toMatchObject({ code: 3 });
    expect(gone.stderr).toMatch(/^isobench: no such network: web/);
  });
});
