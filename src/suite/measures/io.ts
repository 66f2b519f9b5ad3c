// io: write throughput as the probe itself measured it inside the target (write + fsync), so
// the figure is the isolation's I/O path, not the launch around it.
import { WorkloadError } from '../../errors.js';
import { readProbeReport } from '../../targets/probe-output.js';
import { runToExit } from './run-instance.js';
import type { MeasureIteration } from './types.js';

const REPORTS = [
  { step: 'write', metric: 'io.write_throughput' },
  { step: 'randwrite', metric: 'io.randwrite_throughput' },
] as const;

export const measureIo: MeasureIteration = (context) =>
  runToExit(context, async (instance) => {
    const values: Record<string, number> = {};
    for (const { step, metric } of REPORTS) {
      const report = readProbeReport(instance.outputLines(), step);
      if (report?.bytes_per_s !== undefined) values[metric] = report.bytes_per_s;
    }
    if (Object.keys(values).length === 0) {
      throw new WorkloadError('the probe printed no write or randwrite report', {
        hint: 'an io case needs a write=MIB or randwrite=MIB step in its command',
      });
    }
    return { values };
  });
