// startup: host monotonic time from the start of the target's launch to the ready marker and to
// the moment the host learns the workload's exit status, then the teardown from that moment to
// every resource of the instance released; plus the target's own phase marks. One definition for
// every target: what each target's clock covers is spelled out in STARTUP_CLOCK (vocabulary.ts).
import { monotonicNs } from '../../measure/clock.js';
import { runToExit } from './run-instance.js';
import type { InstanceContext, IterationOutcome } from './types.js';

/** One startup iteration; reads only target, workload, timeout and signal (bench:runtime calls it too). */
export const measureStartup = (context: InstanceContext): Promise<IterationOutcome> =>
  runToExit(context, async (instance, readyNs, exit) => {
    // Marks first: they are complete once the exit is known, and dispose() may drop what they read.
    const phasesNs = instance.phases();
    // NOTE: dispose() resolves only once everything of the instance is released (Instance.dispose),
    // so exit -> its resolution is the teardown, timed the same way for every target. The clock
    // starts at exit.atNs, not at this call: teardown a target begins by itself (isobench's monitor
    // unmounts at once) counts from the same moment as the rest.
    await instance.dispose();
    const releasedAtNs = monotonicNs();
    return {
      values: {
        'startup.ready': Number(readyNs - instance.launchedAtNs),
        'startup.exit': Number(exit.atNs - instance.launchedAtNs),
        teardown: Number(releasedAtNs - exit.atNs),
      },
      phasesNs,
    };
  });
