// Progress of a suite run: a bar with ETA on a terminal, one plain line per iteration otherwise
// (CI logs). Reporting only; the runner never depends on it.
import cliProgress from 'cli-progress';

export interface ProgressEvent {
  label: string;
  ok: boolean;
  /** Short result text, e.g. "12.3 ms" or the error. */
  detail: string;
}

export interface Progress {
  start(total: number): void;
  tick(event: ProgressEvent): void;
  /** Counts iterations that will not run (a skipped target) without printing them. */
  skip(count: number): void;
  note(line: string): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream, interactive: boolean): Progress {
  if (!interactive) {
    let done = 0;
    let total = 0;
    return {
      start: (n) => {
        total = n;
      },
      tick: (event) => {
        done++;
        stream.write(`[${done}/${total}] ${event.label} ${event.ok ? 'ok' : 'FAILED'} ${event.detail}\n`);
      },
      skip: (count) => {
        done += count;
      },
      note: (line) => stream.write(`${line}\n`),
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {value}/{total} | ETA {eta_formatted} | {label}',
      stream,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0, { label: '' }),
    tick: (event) => bar.increment(1, { label: `${event.label} ${event.ok ? event.detail : 'FAILED'}` }),
    skip: (count) => bar.increment(count),
    note: (line) => {
      // Print above the bar without tearing it.
      bar.stop();
      stream.write(`${line}\n`);
      bar.start(bar.getTotal(), (bar as unknown as { value: number }).value, { label: '' });
    },
    stop: () => bar.stop(),
  };
}
