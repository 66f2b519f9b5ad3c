// The stdout line splitter of every target: marker detection, read timestamps, line collection.
import { describe, expect, it } from 'vitest';
import { createReadyMarkerReader, MAX_KEPT_LINES, MAX_LINE_CHARS } from '../../src/targets/ready-marker.js';

describe('createReadyMarkerReader', () => {
  it('resolves at the read time of the chunk that completes the first marker line', async () => {
    const reader = createReadyMarkerReader('ISOBENCH-READY');
    reader.feed('hello\nISOBENCH-RE', 10n);
    expect(reader.isReady()).toBe(false);
    reader.feed('ADY 123\nISOBENCH-READY 456\n', 20n);
    expect(await reader.ready).toBe(20n);
    expect(reader.lines()).toEqual(['hello', 'ISOBENCH-READY 123', 'ISOBENCH-READY 456']);
  });

  it('matches only a line prefix, not a marker inside a line', () => {
    const reader = createReadyMarkerReader('READY');
    reader.feed('not READY\n', 5n);
    expect(reader.isReady()).toBe(false);
  });

  it('joins UTF-8 characters split across Buffer chunks and strips CR', () => {
    const reader = createReadyMarkerReader(undefined);
    const bytes = Buffer.from('é\r\nx\n');
    reader.feed(bytes.subarray(0, 1), 1n);
    reader.feed(bytes.subarray(1), 2n);
    expect(reader.lines()).toEqual(['é', 'x']);
  });

  it('keeps a trailing line without newline on end()', async () => {
    const reader = createReadyMarkerReader('GO');
    reader.feed('GO now', 7n);
    expect(reader.isReady()).toBe(false);
    reader.end(9n);
    expect(await reader.ready).toBe(9n);
    expect(reader.lines()).toEqual(['GO now']);
  });

  it('without a marker resolves only through resolveAt, first call wins', async () => {
    const reader = createReadyMarkerReader(undefined);
    reader.feed('ISOBENCH-READY 1\n', 3n);
    expect(reader.isReady()).toBe(false);
    reader.resolveAt(42n);
    reader.resolveAt(43n);
    reader.fail(new Error('late'));
    expect(await reader.ready).toBe(42n);
  });

  it('fail() rejects a reader that has not seen its marker', async () => {
    const reader = createReadyMarkerReader('READY');
    reader.fail(new Error('exited early'));
    await expect(reader.ready).rejects.toThrow('exited early');
  });

  it('caps kept lines and cuts over-long partial lines', () => {
    const reader = createReadyMarkerReader(undefined);
    reader.feed('x\n'.repeat(MAX_KEPT_LINES + 5), 1n);
    expect(reader.lines()).toHaveLength(MAX_KEPT_LINES);
    expect(reader.droppedLines()).toBe(5);
    const long = createReadyMarkerReader(undefined);
    long.feed('y'.repeat(MAX_LINE_CHARS + 10), 1n);
    expect(long.lines()).toEqual(['y'.repeat(MAX_LINE_CHARS)]);
  });
});
