// The monotonic clock every measurement uses, behind an interface so tests can inject a fake one.

/** A monotonic time source in nanoseconds (arbitrary origin; only differences mean anything). */
export interface Clock {
  nowNs(): bigint;
}

/** Nanoseconds from the process's monotonic clock (CLOCK_MONOTONIC via process.hrtime). */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** The real clock: process.hrtime.bigint(). */
export const systemClock: Clock = { nowNs: monotonicNs };
