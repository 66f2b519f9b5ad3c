// Splits the guest's serial console into phase markers, the workload's output and noise.
// NOTE: the markers are printed by /init (guest-init.ts) and carry the run's nonce, so a workload
// cannot fake one. Everything between `ready` and `EXIT` is the workload's output.

/** The number of serial lines kept for error messages. */
export const SERIAL_TAIL_LINES = 20;

/** A phase marker as seen on the host. */
export interface SerialPhase {
  name: string;
  /** Guest uptime when /init printed the marker, in ms (from /proc/uptime, 10 ms resolution). */
  guestUptimeMs: number;
}

export interface SerialEvents {
  onPhase?: (phase: SerialPhase) => void;
  /** Workload output, line-buffered, with the trailing newline when the line had one. */
  onOutput?: (text: string) => void;
  onExit?: (exitCode: number) => void;
  onError?: (message: string) => void;
}

/** Incremental parser of the serial stream; feed it chunks in order. */
export class SerialParser {
  private partial = '';
  private inWorkload = false;
  private readonly tail: string[] = [];
  private readonly marker: RegExp;

  constructor(
    nonce: string,
    private readonly events: SerialEvents,
  ) {
    this.marker = new RegExp(`ISOBENCH-(PHASE|EXIT|ERROR) ${nonce} (.*)$`);
  }

  /** Feeds raw serial bytes (decoded as UTF-8 by the caller). */
  feed(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.handleLine(line.replace(/\r+$/, ''), true);
  }

  /** Flushes a last unterminated line (call when QEMU exits). */
  end(): void {
    if (this.partial !== '') this.handleLine(this.partial.replace(/\r+$/, ''), false);
    this.partial = '';
  }

  /** The last {@link SERIAL_TAIL_LINES} lines seen, noise included. */
  lastLines(): string[] {
    return [...this.tail, ...(this.partial === '' ? [] : [this.partial])].slice(-SERIAL_TAIL_LINES);
  }

  private handleLine(line: string, terminated: boolean): void {
    this.tail.push(line);
    if (this.tail.length > SERIAL_TAIL_LINES) this.tail.shift();
    const match = this.marker.exec(line);
    if (!match) {
      if (this.inWorkload) this.events.onOutput?.(terminated ? `${line}\n` : line);
      return;
    }
    // Output the workload printed without a final newline sits before the marker on the same line.
    const before = line.slice(0, match.index);
    if (before !== '' && this.inWorkload) this.events.onOutput?.(before);
    const [, kind, rest] = match;
    if (kind === 'PHASE') {
      const [name = '', uptime = ''] = rest!.split(' ');
      const seconds = Number.parseFloat(uptime);
      if (name === 'ready') this.inWorkload = true;
      this.events.onPhase?.({
        name,
        guestUptimeMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : Number.NaN,
      });
    } else if (kind === 'EXIT') {
      this.inWorkload = false;
      this.events.onExit?.(Number.parseInt(rest!, 10));
    } else {
      this.events.onError?.(rest!);
    }
  }
}
