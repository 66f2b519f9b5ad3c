// Splits a workload's stdout into lines, keeps them, and resolves `ready` at the first line that
// starts with the ready marker, stamped with the monotonic time the chunk holding it was read.
import { StringDecoder } from 'node:string_decoder';
import { monotonicNs } from '../measure/clock.js';

/** Lines kept per instance; a chatty workload beyond this keeps its first lines and a count. */
export const MAX_KEPT_LINES = 10_000;
/** Longest partial line buffered; longer ones are cut there (a workload without newlines cannot exhaust memory). */
export const MAX_LINE_CHARS = 64 * 1024;

/** A line splitter following one stdout stream. */
export interface ReadyMarkerReader {
  /**
   * Resolves with the monotonic ns at which the marker line's chunk was read. Without a marker it
   * resolves only through resolveAt() (the caller's exit time). Rejects through fail().
   */
  readonly ready: Promise<bigint>;
  /** Feeds one chunk; `readAtNs` is when it was read (default: now, so call it first thing in the handler). */
  feed(chunk: string | Buffer, readAtNs?: bigint): void;
  /** Flushes a trailing line without a newline (the stream ended). */
  end(readAtNs?: bigint): void;
  /** Complete lines read so far, without their newline. */
  lines(): string[];
  /** Lines dropped past MAX_KEPT_LINES. */
  droppedLines(): number;
  /** Whether the marker line has been seen (or resolveAt() was called). */
  isReady(): boolean;
  /** Resolves `ready` at `atNs` unless it already settled (no-marker workloads: ready = exit). */
  resolveAt(atNs: bigint): void;
  /** Rejects `ready` unless it already settled (the instance ended or failed before the marker). */
  fail(error: Error): void;
}

/**
 * Creates a reader for `marker` (a line prefix; undefined: no marker, see ReadyMarkerReader.ready).
 * `ready` never causes an unhandled rejection: a caller that never awaits it loses nothing.
 */
export function createReadyMarkerReader(marker: string | undefined): ReadyMarkerReader {
  const decoder = new StringDecoder('utf8');
  const kept: string[] = [];
  let dropped = 0;
  let partial = '';
  let settled = false;
  let resolveReady!: (atNs: bigint) => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<bigint>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined);

  const settle = (atNs: bigint): void => {
    if (settled) return;
    settled = true;
    resolveReady(atNs);
  };

  const takeLine = (line: string, readAtNs: bigint): void => {
    // A CR before the newline comes from serial consoles and tty-style output.
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (kept.length < MAX_KEPT_LINES) kept.push(text);
    else dropped++;
    if (marker !== undefined && !settled && text.startsWith(marker)) settle(readAtNs);
  };

  const splitText = (text: string, readAtNs: bigint): void => {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      takeLine(partial + text.slice(start, newline), readAtNs);
      partial = '';
      start = newline + 1;
    }
    partial += text.slice(start);
    if (partial.length > MAX_LINE_CHARS) {
      takeLine(partial.slice(0, MAX_LINE_CHARS), readAtNs);
      partial = '';
    }
  };

  return {
    ready,
    feed(chunk, readAtNs = monotonicNs()) {
      splitText(typeof chunk === 'string' ? chunk : decoder.write(chunk), readAtNs);
    },
    end(readAtNs = monotonicNs()) {
      const rest = partial + decoder.end();
      partial = '';
      if (rest !== '') takeLine(rest, readAtNs);
    },
    lines: () => [...kept],
    droppedLines: () => dropped,
    isReady: () => settled,
    resolveAt: settle,
    fail(error) {
      if (settled) return;
      settled = true;
      rejectReady(error);
    },
  };
}

/**
 * Follows a readable stream: each chunk is stamped the moment its 'data' event fires. The stream
 * is switched to flowing mode (it must be drained anyway, or the workload blocks on a full pipe).
 * Resolves when the stream ended or closed.
 */
export function followStream(stream: NodeJS.ReadableStream, reader: ReadyMarkerReader): Promise<void> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: string | Buffer) => reader.feed(chunk, monotonicNs()));
    const done = (): void => {
      reader.end();
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

/** Keeps the last `maxChars` of a stream (stderr, for error messages); drains it. */
export function tailStream(stream: NodeJS.ReadableStream | undefined | null, maxChars = 4096): () => string {
  let tail = '';
  stream?.on('data', (chunk: string | Buffer) => {
    tail = (tail + String(chunk)).slice(-maxChars);
  });
  return () => tail.trim();
}
