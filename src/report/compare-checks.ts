// What makes two runs comparable besides their samples: the same scenario definition, a similar
// host, and the thresholds the scenario asks for. Pure functions over RunResult.
import type { RunResult } from '../suite/run-schema.js';
import type { FieldDiff, ScenarioDiff } from './compare-types.js';

/** Differences listed per scenario or host before the rest is cut. */
export const MAX_FIELD_DIFFS = 12;

/** Nesting followed by diffValues: deep enough for cases[i].plans[j].iterations, no deeper. */
const MAX_DIFF_DEPTH = 5;

/** Host fingerprint fields whose difference makes figures less comparable (paths into `environment`). */
const HOST_FIELDS = [
  'hostname',
  'cpu.brand',
  'cpu.model',
  'cpu.cores',
  'cpu.speedGhz',
  'kernelRelease',
  'memory.totalBytes',
  'kvm.available',
  'system.virtual',
  'cgroup.mode',
] as const;

/**
 * Lists the paths where `baseline` and `candidate` differ: plain objects and arrays are followed
 * down to a few levels, anything else is compared as JSON. Keys in sorted order, so the output is stable.
 */
export function diffValues(baseline: unknown, candidate: unknown, prefix = '', depth = 0): FieldDiff[] {
  if (sameJson(baseline, candidate)) return [];
  const bothArrays = Array.isArray(baseline) && Array.isArray(candidate);
  const bothObjects = isPlainObject(baseline) && isPlainObject(candidate);
  if (depth >= MAX_DIFF_DEPTH || !(bothArrays || bothObjects)) {
    return [{ field: prefix || '(definition)', baseline, candidate }];
  }
  if (bothArrays) {
    const length = Math.max(baseline.length, candidate.length);
    return Array.from({ length }, (_, i) => diffValues(baseline[i], candidate[i], `${prefix}[${i}]`, depth + 1)).flat();
  }
  const a = baseline as Record<string, unknown>;
  const b = candidate as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((key) => diffValues(a[key], b[key], prefix ? `${prefix}.${key}` : key, depth + 1));
}

/** Scenarios present on both sides whose sha256 differs, with the fields that differ. */
export function diffScenarios(baseline: RunResult, candidate: RunResult): ScenarioDiff[] {
  return candidate.scenarios.flatMap((cand) => {
    const base = baseline.scenarios.find((s) => s.name === cand.name);
    if (!base || base.sha256 === cand.sha256) return [];
    const fields = diffValues(base.definition, cand.definition);
    return [
      {
        scenario: cand.name,
        baselineSha256: base.sha256,
        candidateSha256: cand.sha256,
        fields: fields.slice(0, MAX_FIELD_DIFFS),
        truncated: fields.length > MAX_FIELD_DIFFS,
      },
    ];
  });
}

/** Host fingerprint fields (cpu model, cores, kernel, ...) that differ between two runs. */
export function diffHosts(baseline: RunResult, candidate: RunResult): FieldDiff[] {
  return HOST_FIELDS.flatMap((field) => {
    const a = readPath(baseline.environment, field);
    const b = readPath(candidate.environment, field);
    // A field missing on one side (an older or rebuilt fingerprint) says nothing about the host.
    if (a === undefined || b === undefined || sameJson(a, b)) return [];
    return [{ field, baseline: a, candidate: b }];
  });
}

/**
 * The per-metric thresholds a run's scenario asks for, as ratios (0.1 = 10 %). Reads
 * `definition.thresholds`, which holds ratios in a resolved scenario and "10%" text in a file as written.
 */
export function readScenarioThresholds(run: RunResult, scenario: string): Record<string, number> {
  const definition = run.scenarios.find((s) => s.name === scenario)?.definition;
  const thresholds = isPlainObject(definition) ? definition.thresholds : undefined;
  if (!isPlainObject(thresholds)) return {};
  const result: Record<string, number> = {};
  for (const [metric, value] of Object.entries(thresholds)) {
    const ratio = parseThresholdValue(value);
    if (ratio !== undefined) result[metric] = ratio;
  }
  return result;
}

/** A ratio from 0.1 or "10%"; undefined for anything else (a hostile or foreign definition). */
function parseThresholdValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^[0-9]{1,4}(\.[0-9]{1,3})?%$/.test(value)) return Number(value.slice(0, -1)) / 100;
  return undefined;
}

/** Formats a FieldDiff for a sentence: `iterations 10 vs 20`. */
export function describeFieldDiff(diff: FieldDiff): string {
  return `${diff.field} ${describeValue(diff.baseline)} vs ${describeValue(diff.candidate)}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function readPath(value: unknown, dotted: string): unknown {
  let current = value;
  for (const key of dotted.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
