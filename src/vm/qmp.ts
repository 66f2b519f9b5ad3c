// A small QMP client (QEMU Machine Protocol over the VM's unix socket): handshake, then one
// command at a time; asynchronous events are skipped.
import net from 'node:net';
import { TimeoutError, WorkloadError } from '../errors.js';

/** Result of query-memory-size-summary, in bytes. */
export interface QmpMemorySummary {
  baseMemoryBytes: number;
  pluggedMemoryBytes: number;
}

export type QmpReply = { return?: unknown; error?: { class: string; desc: string }; event?: string; QMP?: unknown };

/** One QMP connection. Create with {@link connectQmp}. */
export class QmpClient {
  private buffer = '';
  private waiters: Array<(reply: QmpReply) => void> = [];
  private queued: QmpReply[] = [];
  private closed = false;

  constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.waiters.splice(0)) waiter({ error: { class: 'Closed', desc: 'QMP socket closed' } });
    });
    socket.on('error', () => undefined);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf('\n');
      if (line === '') continue;
      const reply = JSON.parse(line) as QmpReply;
      if (reply.event !== undefined) continue;
      const waiter = this.waiters.shift();
      if (waiter) waiter(reply);
      else this.queued.push(reply);
    }
  }

  /** The next non-event reply (the greeting first). */
  nextReply(timeoutMs: number): Promise<QmpReply> {
    const queued = this.queued.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve({ error: { class: 'Closed', desc: 'QMP socket closed' } });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== settle);
        reject(new TimeoutError(`QMP gave no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (reply: QmpReply): void => {
        clearTimeout(timer);
        resolve(reply);
      };
      this.waiters.push(settle);
    });
  }

  /** Runs one QMP command and returns its `return` value; a QMP error becomes WorkloadError. */
  async execute(command: string, args?: Record<string, unknown>, timeoutMs = 5_000): Promise<unknown> {
    this.socket.write(
      `${JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })}\n`,
    );
    const reply = await this.nextReply(timeoutMs);
    if (reply.error) throw new WorkloadError(`QMP ${command} failed: ${reply.error.class}: ${reply.error.desc}`);
    return reply.return;
  }

  /** The VM's run state, e.g. "running", "paused", "shutdown". */
  async queryStatus(): Promise<string> {
    const reply = (await this.execute('query-status')) as { status: string };
    return reply.status;
  }

  /** Guest RAM as QEMU sees it (not the host RSS of the QEMU process). */
  async queryMemorySizeSummary(): Promise<QmpMemorySummary> {
    const reply = (await this.execute('query-memory-size-summary')) as {
      'base-memory': number;
      'plugged-memory'?: number;
    };
    return { baseMemoryBytes: reply['base-memory'], pluggedMemoryBytes: reply['plugged-memory'] ?? 0 };
  }

  /** Asks QEMU to exit at once (no guest shutdown). */
  async quit(): Promise<void> {
    await this.execute('quit').catch(() => undefined);
    this.close();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects to a QMP socket, reads the greeting and negotiates capabilities. */
export async function connectQmp(socketPath: string, timeoutMs = 5_000): Promise<QmpClient> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.createConnection(socketPath);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new TimeoutError(`no QMP connection on ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (error) => {
      clearTimeout(timer);
      reject(new WorkloadError(`cannot connect to QMP socket ${socketPath}: ${error.message}`, { cause: error }));
    });
  });
  const client = new QmpClient(socket);
  const greeting = await client.nextReply(timeoutMs);
  if (greeting.QMP === undefined) {
    client.close();
    throw new WorkloadError(`${socketPath} did not greet like QMP`);
  }
  await client.execute('qmp_capabilities', undefined, timeoutMs);
  return client;
}
