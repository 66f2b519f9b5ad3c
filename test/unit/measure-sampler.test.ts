import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../src/measure/clock.js';
import { startSampler } from '../../src/measure/sampler.js';

const MS = 1_000_000n;

// Time follows vitest's fake timers, plus extra time a "slow" sample consumes while it runs.
function makeFakeClock(): Clock & { spend(ms: number): void } {
  let extraNs = 0n;
  return {
    nowNs: () => BigInt(Date.now()) * MS + extraNs,
    spend(ms: number) {
      extraNs += BigInt(ms) * MS;
    },
  };
}

describe('startSampler with a fake clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('samples on the interval grid, skips grid points a slow sample overran, and records errors as gaps', async () => {
    const clock = makeFakeClock();
    const costsMs = [0, 70, 10, 0, 0];
    let call = 0;
    const sampler = startSampler(
      async () => {
        const index = call++;
        clock.spend(costsMs[index] ?? 0);
        if (index === 3) throw new Error('smaps_rollup unreadable');
        return index;
      },
      { intervalMs: 50, clock },
    );
    // t=0 sample 0; t=50 sample 1 runs until 120; next grid point 150; then 200 (throws), 250.
    await vi.advanceTimersByTimeAsync(50); // -> t=50
    await vi.advanceTimersByTimeAsync(30); // -> t=150 on the clock
    await vi.advanceTimersByTimeAsync(40); // -> t=200
    await vi.advanceTimersByTimeAsync(50); // -> t=250
    const samples = await sampler.stop();
    expect(samples).toEqual([
      { tNs: 0n, value: 0 },
      { tNs: 50n * MS, value: 1 },
      { tNs: 150n * MS, value: 2 },
      { tNs: 250n * MS, value: 4 },
    ]);
    expect(sampler.gaps).toEqual([{ tNs: 200n * MS, message: 'smaps_rollup unreadable' }]);
    // Stopped: no further samples however long we wait.
    await vi.advanceTimersByTimeAsync(1000);
    expect(call).toBe(5);
  });

  it('never overlaps samples and stop() waits for the one in flight', async () => {
    const clock = makeFakeClock();
    let release: (() => void) | undefined;
    let calls = 0;
    const sampler = startSampler(
      () => {
        calls++;
        if (calls === 2) return new Promise<string>((resolve) => (release = () => resolve('slow')));
        return 'fast';
      },
      { intervalMs: 10, clock },
    );
    await vi.advanceTimersByTimeAsync(10); // second sample starts and hangs
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toBe(2);
    const stopped = sampler.stop();
    release!();
    const samples = await stopped;
    expect(samples.map((s) => s.value)).toEqual(['fast', 'slow']);
    expect(await sampler.stop()).toEqual(samples);
  });

  it('does not sample a grid point twice when the timer fires a little early', async () => {
    const clock = makeFakeClock();
    let calls = 0;
    const sampler = startSampler(() => ++calls, { intervalMs: 50, clock });
    await vi.advanceTimersByTimeAsync(0); // the t=0 sample finishes and schedules t=50
    clock.spend(-1); // the clock now lags the timers by 1 ms: the t=50 timer fires at clock 49
    await vi.advanceTimersByTimeAsync(50);
    await vi.advanceTimersByTimeAsync(45);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(10); // clock 104 (lag 1 ms): the t=100 point was served
    const samples = await sampler.stop();
    expect(samples.map((s) => s.tNs)).toEqual([0n, 49n * MS, 100n * MS]);
  });

  it('rejects a non-positive interval with expected vs got', () => {
    expect(() => startSampler(() => 1, { intervalMs: 0 })).toThrow(/positive finite number, got 0/);
  });
});
