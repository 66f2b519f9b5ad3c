// Whether a server on 127.0.0.1:port answers: a TCP connect, an HTTP GET with a 2xx status, or
// redis' +PONG to PING. Each attempt is one short connection; waitForAnswer polls until one succeeds.
import { connect, type Socket } from 'node:net';
import { WorkloadError } from '../../errors.js';
import { monotonicNs } from '../../measure/clock.js';
import type { WorkloadCheck } from '../../scenario/index.js';
import { pause } from '../timeouts.js';

const HOST = '127.0.0.1';
/** Between failed attempts: short, since the first success is a startup figure (startup.first_response). */
const POLL_MS = 2;
/** One attempt's limit; a server that accepted but does not answer is asked again. */
const ATTEMPT_MS = 1000;

/** One attempt: true when the server gave the expected answer. Never throws. */
export function checkOnce(port: number, check: WorkloadCheck, path = '/'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: HOST, port });
    let received = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ATTEMPT_MS, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => {
      if (check === 'tcp') return finish(true);
      socket.write(
        check === 'http' ? `GET ${path} HTTP/1.0\r\nHost: ${HOST}:${port}\r\nConnection: close\r\n\r\n` : 'PING\r\n',
      );
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const line = received.indexOf('\r\n');
      if (line < 0) return;
      const first = received.slice(0, line);
      finish(check === 'http' ? /^HTTP\/1\.[01] 2\d\d /.test(first) : first === '+PONG');
    });
    socket.once('end', () => finish(false));
  });
}

/**
 * Polls until the server answers; resolves with the monotonic ns of the first good answer.
 * Rejects as soon as `gone` settles (the server exited) or `signal` aborts.
 */
export async function waitForAnswer(
  port: number,
  check: WorkloadCheck,
  path: string,
  gone: Promise<unknown>,
  signal: AbortSignal,
): Promise<bigint> {
  let exited = false;
  void gone.then(
    () => {
      exited = true;
    },
    () => {
      exited = true;
    },
  );
  while (!signal.aborted) {
    if (await checkOnce(port, check, path)) return monotonicNs();
    if (exited) throw new WorkloadError(`the server exited before it answered on ${HOST}:${port}`);
    await pause(POLL_MS, signal);
  }
  throw new WorkloadError('interrupted while waiting for the server to answer');
}

/** Refuses a port some other process already serves: its answers would pass for our server's. */
export async function requirePortFree(port: number): Promise<void> {
  if (await checkOnce(port, 'tcp')) {
    throw new WorkloadError(
      `port ${port} on ${HOST} is already in use: the server under test could not be told apart`,
      {
        hint: `stop what listens there (ss -ltnp 'sport = :${port}') or choose another workload.port`,
      },
    );
  }
}
