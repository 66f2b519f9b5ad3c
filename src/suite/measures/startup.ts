// startup: host monotonic time from the launch call to the ready marker and to the exit, plus
// the target's own phase breakdown (e.g. vm: qemu start, kernel, init).
import { runToExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

export const measureStartup: MeasureIteration = (context) =>
  runToExit(context, async (instance, readyNs, exit) => ({
    values: {
      'startup.ready': Number(readyNs - instance.launchedAtNs),
      'startup.exit': Number(exit.atNs - instance.launchedAtNs),
    },
    phasesNs: instance.phases(),
  }));
