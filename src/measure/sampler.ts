// A periodic sampler: calls a reader on a fixed time grid until stopped, without overlap or drift.

import { type Clock, systemClock } from './clock.js';

/** One successful sample; tNs is when the sample started, relative to startSampler(). */
export interface Sample<T> {
  tNs: bigint;
  value: T;
}

/** A sample that threw: the series has a gap at tNs. */
export interface SampleGap {
  tNs: bigint;
  message: string;
}

export interface SamplerOptions {
  /** Time between grid points in milliseconds; a positive finite number. */
  intervalMs: number;
  /** Time source; defaults to the process's monotonic clock. */
  clock?: Clock;
}

export interface Sampler<T> {
  /** Samples that threw so far, in time order (their errors are never rethrown). */
  readonly gaps: readonly SampleGap[];
  /** Stops scheduling, waits for a sample in flight, and returns the successful samples in time order. Idempotent. */
  stop(): Promise<Array<Sample<T>>>;
}

/**
 * Starts sampling at once (t = 0) and then at t = k x interval. The next sample is scheduled only
 * after the previous one finished, at the next grid point still ahead, so a slow sample skips grid
 * points instead of overlapping or shifting every later sample. A sample that throws is recorded
 * in `gaps`. The timer is unref'd: a forgotten sampler does not keep the process alive.
 * @throws RangeError when intervalMs is not a positive finite number.
 */
export function startSampler<T>(sample: () => Promise<T> | T, options: SamplerOptions): Sampler<T> {
  const { intervalMs } = options;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new RangeError(
      `Expected intervalMs to be a positive finite number, got ${intervalMs} (${typeof intervalMs})`,
    );
  }
  const clock = options.clock ?? systemClock;
  const intervalNs = BigInt(Math.round(intervalMs * 1e6));
  const startNs = clock.nowNs();
  const samples: Array<Sample<T>> = [];
  const gaps: SampleGap[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;

  const takeSample = async (): Promise<void> => {
    const tNs = clock.nowNs() - startNs;
    try {
      samples.push({ tNs, value: await sample() });
    } catch (error) {
      gaps.push({ tNs, message: error instanceof Error ? error.message : String(error) });
    }
  };

  // Index of the grid point the last sample was taken for.
  let slot = 0n;

  const scheduleNext = (): void => {
    if (stopped) return;
    const elapsedNs = clock.nowNs() - startNs;
    // The next grid point still ahead, but never the one just served: a timer may fire a little early
    // (Node rounds delays to ms), and "first grid point after now" would then sample it twice.
    const ahead = elapsedNs / intervalNs + 1n; // bigint division truncates; elapsed is >= 0
    slot = ahead > slot + 1n ? ahead : slot + 1n;
    const delayMs = Math.max(0, Number(slot * intervalNs - elapsedNs) / 1e6);
    timer = setTimeout(run, delayMs);
    timer.unref();
  };

  const run = (): void => {
    timer = undefined;
    if (stopped) return;
    inFlight = takeSample().then(() => {
      inFlight = undefined;
      scheduleNext();
    });
  };

  run();
  return {
    gaps,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await inFlight;
      return [...samples];
    },
  };
}

/** What measureSelfCpu() observed; CPU times cover the whole Node process (all threads). */
export interface SelfCpuUsage<T> {
  value: T;
  userCpuNs: number;
  systemCpuNs: number;
  wallNs: number;
  /** (user + system) / wall: 0.01 means 1 % of one core. */
  coreFraction: number;
}

/**
 * Runs fn and reports the CPU this process used meanwhile (process.cpuUsage, user + system), e.g. the
 * sampler's own overhead. Anything else running in the process during fn is counted too.
 */
export async function measureSelfCpu<T>(fn: () => Promise<T> | T): Promise<SelfCpuUsage<T>> {
  const wallStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const value = await fn();
  const cpu = process.cpuUsage(cpuStart);
  const wallNs = Number(process.hrtime.bigint() - wallStart);
  const userCpuNs = cpu.user * 1000;
  const systemCpuNs = cpu.system * 1000;
  return { value, userCpuNs, systemCpuNs, wallNs, coreFraction: wallNs > 0 ? (userCpuNs + systemCpuNs) / wallNs : 0 };
}
