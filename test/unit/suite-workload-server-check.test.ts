// The readiness check of the workload measure, against real servers on 127.0.0.1 (ephemeral ports):
// an HTTP 2xx passes and a 500 does not, redis' +PONG passes and an error reply does not, a closed
// port fails, and a port already served is refused before any launch.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkloadError } from '../../src/errors.js';
import { checkOnce, requirePortFree, waitForAnswer } from '../../src/suite/workload/server-check.js';

const servers: Array<Server | HttpServer> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(server: Server | HttpServer): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const http = (status: number) =>
  listen(
    createHttpServer((request, response) => {
      response.writeHead(request.url === '/ok' ? status : 404);
      response.end('x');
    }),
  );
const redisLike = (reply: string) => listen(createServer((socket) => socket.on('data', () => socket.end(reply))));

/** A port nothing listens on: one that was just free. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('checkOnce', () => {
  it('passes an HTTP 2xx on the path and fails a 500 or another path', async () => {
    expect(await checkOnce(await http(200), 'http', '/ok')).toBe(true);
    expect(await checkOnce(await http(500), 'http', '/ok')).toBe(false);
    expect(await checkOnce(await http(200), 'http', '/missing')).toBe(false);
  });

  it('passes +PONG and fails an error reply', async () => {
    expect(await checkOnce(await redisLike('+PONG\r\n'), 'redis')).toBe(true);
    expect(await checkOnce(await redisLike('-LOADING Redis is loading the dataset\r\n'), 'redis')).toBe(false);
  });

  it('passes a TCP connect and fails a closed port', async () => {
    expect(await checkOnce(await redisLike(''), 'tcp')).toBe(true);
    expect(await checkOnce(await closedPort(), 'tcp')).toBe(false);
  });
});

describe('waitForAnswer and requirePortFree', () => {
  it('resolves once a server appears on the port', async () => {
    const port = await closedPort();
    const before = process.hrtime.bigint();
    const late = createServer((socket) => socket.end());
    servers.push(late);
    setTimeout(() => late.listen(port, '127.0.0.1'), 50);
    const at = await waitForAnswer(port, 'tcp', '/', new Promise(() => undefined), new AbortController().signal);
    expect(at).toBeGreaterThan(before);
  });

  it('rejects when the server exits before it answers', async () => {
    const port = await closedPort();
    await expect(
      waitForAnswer(port, 'tcp', '/', Promise.resolve({ exitCode: 1 }), new AbortController().signal),
    ).rejects.toThrow(/exited before it answered/);
  });

  it('refuses a port something already serves', async () => {
    const port = await redisLike('');
    await expect(requirePortFree(port)).rejects.toBeInstanceOf(WorkloadError);
    await expect(requirePortFree(await closedPort())).resolves.toBeUndefined();
  });
});
