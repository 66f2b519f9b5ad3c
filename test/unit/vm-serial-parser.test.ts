import { describe, expect, it } from 'vitest';
import { SERIAL_TAIL_LINES, SerialParser } from '../../src/vm/serial-parser.js';

function parse(chunks: string[]) {
  const events: string[] = [];
  const parser = new SerialParser('n0nce', {
    onPhase: (p) => events.push(`phase ${p.name} ${p.guestUptimeMs}`),
    onOutput: (t) => events.push(`out ${JSON.stringify(t)}`),
    onExit: (c) => events.push(`exit ${c}`),
    onError: (m) => events.push(`error ${m}`),
  });
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { events, tail: parser.lastLines() };
}

describe('SerialParser', () => {
  it('separates markers, workload output and kernel noise', () => {
    const { events } = parse([
      '[ 0.1] noise\r\nISOBENCH-PHASE n0nce init 1.22\r\n',
      'more noise\r\nISOBENCH-PHASE n0nce ready 1.5',
      '0\r\nhel',
      'lo\r\nISOBENCH-EXIT n0nce 3\r\n',
    ]);
    expect(events).toEqual(['phase init 1220', 'phase ready 1500', 'out "hello\\n"', 'exit 3']);
  });

  it('keeps output without a final newline and ignores markers with another nonce', () => {
    const { events } = parse([
      'ISOBENCH-PHASE n0nce ready 2.00\n',
      'ISOBENCH-EXIT fake 0\n',
      'no newlineISOBENCH-EXIT n0nce 0\n',
    ]);
    expect(events).toEqual(['phase ready 2000', 'out "ISOBENCH-EXIT fake 0\\n"', 'out "no newline"', 'exit 0']);
  });

  it('treats a memory marker of an older /init as noise before ready and as output after it', () => {
    const { events } = parse([
      'ISOBENCH-MEMINFO n0nce 228748 190412\n',
      'ISOBENCH-PHASE n0nce ready 1.00\n',
      'ISOBENCH-MEMINFO n0nce 999 1\n',
    ]);
    expect(events).toEqual(['phase ready 1000', 'out "ISOBENCH-MEMINFO n0nce 999 1\\n"']);
  });

  it('reports guest init errors', () => {
    expect(parse(['ISOBENCH-ERROR n0nce user x not found\n']).events).toEqual(['error user x not found']);
  });

  it('keeps the last lines for diagnostics', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}\n`);
    const { tail } = parse(lines);
    expect(tail).toHaveLength(SERIAL_TAIL_LINES);
    expect(tail[0]).toBe('line 10');
    expect(tail.at(-1)).toBe('line 29');
  });
});
