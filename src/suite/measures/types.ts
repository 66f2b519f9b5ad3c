// What one measurement iteration receives and returns; one file per measure kind implements it.
import type { CasePoint, ScenarioCase } from '../../scenario/index.js';
import type { Target, WorkloadSpec } from '../../targets/types.js';

export interface IterationContext {
  target: Target;
  workload: WorkloadSpec;
  scenarioCase: ScenarioCase;
  point: CasePoint;
  /** Limit for each wait (ready, exit) of this iteration, ms. */
  timeoutMs: number;
  /** Aborted on Ctrl-C: waits end at once and instances are disposed. */
  signal: AbortSignal;
}

/** The part of an iteration's context that a one-instance measure reads (startup needs no case). */
export type InstanceContext = Pick<IterationContext, 'target' | 'workload' | 'timeoutMs' | 'signal'>;

/** Values keyed by metric name in base units; phases and timeline are optional extras. */
export interface IterationOutcome {
  values: Record<string, number>;
  phasesNs?: Record<string, number>;
  timeline?: Array<{ tMs: number; pssBytes: number }>;
}

export type MeasureIteration = (context: IterationContext) => Promise<IterationOutcome>;
