// The step grammar of isobench-probe (src/probe/isobench-probe.c), checked at load time so a typo in
// a scenario fails on its line instead of in every target at run time.
import path from 'node:path';

/** Marker the probe prints for a bare `ready` step. */
export const DEFAULT_READY_MARKER = 'ISOBENCH-READY';

/** The probe's steps, as the expected form in messages. */
export const PROBE_STEP_FORMS =
  'ready[=MARKER], sleep=MS, alloc=MIB, write=MIB[:PATH], randwrite=MIB[:PATH], compute=N, idle or exit=N';

// NOTE: keep in step with main() in src/probe/isobench-probe.c.
const STEP_PATTERNS = [
  /^ready(=[A-Za-z0-9_.:-]{1,64})?$/,
  /^sleep=\d{1,9}$/,
  /^alloc=\d{1,7}$/,
  /^(rand)?write=\d{1,7}(:[^\0]{1,4000})?$/,
  /^compute=\d{1,9}$/,
  /^idle$/,
  /^exit=\d{1,3}$/,
];

/** True when argv[0] is the probe (by base name, so /usr/bin/isobench-probe counts). */
export function isProbeCommand(command: readonly string[]): boolean {
  return command[0] !== undefined && path.posix.basename(command[0]) === 'isobench-probe';
}

/**
 * Checks every probe step of `command` with each `{param}` value substituted; calls `onError`
 * with the argument index and message for the first bad step. Commands other than the probe pass.
 */
export function checkProbeCommand(
  command: readonly string[],
  params: readonly string[],
  onError: (index: number, message: string) => void,
): void {
  if (!isProbeCommand(command)) return;
  for (let index = 1; index < command.length; index++) {
    for (const param of params) {
      const step = command[index]!.replaceAll('{param}', param);
      if (STEP_PATTERNS.some((pattern) => pattern.test(step))) continue;
      const shown = step === command[index] ? `"${step}"` : `"${step}" (from "${command[index]}")`;
      onError(index, `expected a probe step (${PROBE_STEP_FORMS}); got ${shown}`);
      return;
    }
  }
}

/** The marker the probe's first ready step prints, or undefined when the command has none. */
export function probeReadyMarker(command: readonly string[]): string | undefined {
  if (!isProbeCommand(command)) return undefined;
  const step = command.slice(1).find((arg) => arg === 'ready' || arg.startsWith('ready='));
  if (step === undefined) return undefined;
  return step === 'ready' ? DEFAULT_READY_MARKER : step.slice('ready='.length);
}

/** MiB the probe's alloc=MIB steps hold in total, in bytes; 0 when the command is not the probe or has none. */
export function probeAllocBytes(command: readonly string[]): number {
  if (!isProbeCommand(command)) return 0;
  let mib = 0;
  for (const arg of command.slice(1)) {
    const match = /^alloc=(\d{1,7})$/.exec(arg);
    if (match) mib += Number(match[1]);
  }
  return mib * 1024 * 1024;
}
