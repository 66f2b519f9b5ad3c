// The scenario format's public surface: types and words the runner consumes, loading and sweep expansion.

export type { CasePoint, SweepPoint, TargetRun } from './expand.js';
export { expandCase, expandSweep, formatPointLabel } from './expand.js';
export { findScenario, listScenarios, loadScenario, parseScenario } from './load.js';
export { DEFAULT_READY_MARKER, isProbeCommand, probeAllocBytes, probeReadyMarker } from './probe-steps.js';
export { MAX_SWEEP_POINTS } from './resolve.js';
export type {
  CaseSweep,
  Scenario,
  ScenarioCase,
  SweepKey,
  TargetPlan,
  Thresholds,
  VmKernel,
  VmMachine,
  VmSettings,
  WorkloadCheck,
  WorkloadParser,
  WorkloadSettings,
} from './schema.js';
export { BUILTIN_DEFAULTS, SWEEP_KEYS, VM_KERNELS, VM_MACHINES } from './schema.js';
export { MAX_SCENARIO_BYTES } from './yaml-source.js';
