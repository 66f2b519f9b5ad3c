// The conditions a run's figures were measured under, read from the run itself (environment,
// series, scenario definitions, CLI overrides), for the caveats of the report's Method section.
// Nothing here is assumed about the machine the report is rendered on.
// NOTE: the run-level options read here (cold, settleMs, seed, premountedRootfs) are looked up by
// name in the run's overrides and scenario definitions (see readOption); a producer that records
// them elsewhere must be added to readOption.

import type { RunResult } from '../suite/run-schema.js';
import type { Accel, TargetKind } from '../vocabulary.js';
import { describeEnvironment, type HostEnvironment, pickField } from './environment.js';
import type { SeriesGroup } from './model.js';

/** The phase mark that ends the overlay mount of a peer's rootfs (src/metric-definitions.ts). */
export const OVERLAY_MOUNT_PHASE = 'overlayMountNs';

/** Peers whose startup clock may or may not include the overlay mount. */
const MOUNTING_PEERS: readonly TargetKind[] = ['runc', 'crun'];

/** What a run says about one option: the value recorded, or that it is not recorded. */
export type Recorded<T> = { state: 'recorded'; value: T; where: string } | { state: 'not-recorded' };

/** How a peer's startup clock treats its rootfs mount, and the evidence. */
export interface PeerMount {
  target: TargetKind;
  /** 'timed': an overlay-mount phase inside the clock; 'pre-mounted': mounted before it; 'unknown': no evidence. */
  state: 'timed' | 'pre-mounted' | 'unknown';
  /** Median ns from launch of the overlay-mount mark, when timed. */
  mountNs: number | null;
}

/** The conditions of one run. */
export interface RunConditions {
  runIndex: number;
  host: HostEnvironment;
  /** Accelerators of the run's VM series; null for a VM series that recorded none. */
  vmAccels: Array<Accel | null>;
  /** True when the host page cache was dropped before each instance (--cold). */
  coldCache: Recorded<boolean>;
  /** Pause between instances, ms. */
  settleMs: Recorded<number>;
  /** Seed of the random order of targets within each round. */
  orderSeed: Recorded<number | string>;
  /** runc and crun startup series: whether their clock includes the overlay mount. */
  peerMounts: PeerMount[];
  interrupted: boolean;
  status: RunResult['status'];
  /** Recorded (non-warm-up) iterations, and how many of them failed, over every series. */
  recordedIterations: number;
  failedIterations: number;
}

/**
 * An option of the run by name: the CLI overrides first, then each scenario definition's top
 * level, then its cases (the first case that sets it). Values of another type are ignored.
 */
function readOption<T>(run: RunResult, key: string, isValue: (value: unknown) => value is T): Recorded<T> {
  const fromOverrides = run.overrides[key];
  if (isValue(fromOverrides)) return { state: 'recorded', value: fromOverrides, where: `--${key}` };
  for (const scenario of run.scenarios) {
    const top = pickField(scenario.definition, key);
    if (isValue(top)) return { state: 'recorded', value: top, where: `scenario ${scenario.name}` };
    const cases = pickField(scenario.definition, 'cases');
    if (!Array.isArray(cases)) continue;
    for (const scenarioCase of cases) {
      const value = pickField(scenarioCase, key);
      if (isValue(value)) {
        return {
          state: 'recorded',
          value,
          where: `scenario ${scenario.name}, case ${pickField(scenarioCase, 'name')}`,
        };
      }
    }
  }
  return { state: 'not-recorded' };
}

const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isSeed = (value: unknown): value is number | string =>
  (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && value !== '');

function readPeerMounts(run: RunResult, groups: readonly SeriesGroup[]): PeerMount[] {
  const explicit = readOption(run, 'premountedRootfs', isBoolean);
  const mounts = new Map<TargetKind, PeerMount>();
  for (const group of groups) {
    if (group.measure !== 'startup') continue;
    for (const series of group.series) {
      if (!MOUNTING_PEERS.includes(series.target) || series.status === 'skipped' || mounts.has(series.target)) continue;
      const mountNs = series.phasesMedianNs?.[OVERLAY_MOUNT_PHASE] ?? null;
      let state: PeerMount['state'] = 'unknown';
      if (explicit.state === 'recorded') state = explicit.value ? 'pre-mounted' : 'timed';
      if (mountNs !== null) state = 'timed';
      mounts.set(series.target, { target: series.target, state, mountNs });
    }
  }
  return MOUNTING_PEERS.flatMap((target) => (mounts.has(target) ? [mounts.get(target)!] : []));
}

/** The conditions of `run` (its series already grouped for the report as `groups`). */
export function readRunConditions(run: RunResult, runIndex: number, groups: readonly SeriesGroup[]): RunConditions {
  const own = groups.filter((group) => group.runIndex === runIndex);
  const views = own.flatMap((group) => group.series);
  const vmAccels = [...new Set(views.filter((view) => view.target === 'vm').map((view) => view.accel))];
  return {
    runIndex,
    host: describeEnvironment(run.environment),
    vmAccels,
    coldCache: readOption(run, 'cold', isBoolean),
    settleMs: readOption(run, 'settleMs', isCount),
    orderSeed: readOption(run, 'seed', isSeed),
    peerMounts: readPeerMounts(run, own),
    interrupted: run.status !== 'complete',
    status: run.status,
    recordedIterations: views.reduce((sum, view) => sum + view.recordedIterations, 0),
    failedIterations: views.reduce((sum, view) => sum + view.failures.length, 0),
  };
}
