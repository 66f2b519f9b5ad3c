// Measure kind -> the function that runs one iteration of it.
import type { MeasureKind } from '../../vocabulary.js';
import { measureCpu } from './cpu.js';
import { measureDensity } from './density.js';
import { measureDisk } from './disk.js';
import { measureIo } from './io.js';
import { measureMemory } from './memory.js';
import { measureStartup } from './startup.js';
import type { MeasureIteration } from './types.js';
import { measureWorkload } from './workload.js';

export const MEASURES: Record<MeasureKind, MeasureIteration> = {
  startup: measureStartup,
  memory: measureMemory,
  density: measureDensity,
  disk: measureDisk,
  io: measureIo,
  cpu: measureCpu,
  workload: measureWorkload,
};

export type { IterationContext, IterationOutcome, MeasureIteration } from './types.js';
