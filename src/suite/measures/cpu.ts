// cpu: the probe's fixed compute job timed by the probe itself; cpu.relative_to_native is
// derived after the series from the native median at the same point.
import { WorkloadError } from '../../errors.js';
import { readProbeReport } from '../../targets/probe-output.js';
import { runToExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

export const measureCpu: MeasureIteration = (context) =>
  runToExit(context, async (instance) => {
    const report = readProbeReport(instance.outputLines(), 'compute');
    if (report?.ns === undefined) {
      throw new WorkloadError('the probe printed no compute report', {
        hint: 'a cpu case needs a compute=N step in its command',
      });
    }
    return { values: { 'cpu.time': report.ns } };
  });
