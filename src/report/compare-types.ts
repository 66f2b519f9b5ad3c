// What `isobench compare` produces: one row per (scenario, case, point, target, metric), the checks
// that make two runs comparable, and the counts a CI job decides on. Plain JSON, base units.
import type { ConfidenceInterval, Verdict } from '../stats/index.js';
import type { Accel } from '../vocabulary.js';

/**
 * Verdict of one row: the statistical verdicts of compareSamples, plus
 * - 'failed': the candidate series produced no samples (every iteration failed) while the baseline had some;
 *   a CI failure like a regression;
 * - 'refused': baseline and candidate ran under a different VM accelerator (tcg vs kvm): never compared;
 * - 'added' / 'removed': the series exists only in the candidate / only in the baseline.
 */
export type RowVerdict = Verdict | 'failed' | 'refused' | 'added' | 'removed';

/** Every row verdict, worst first: the order of counts and summaries. */
export const ROW_VERDICTS: readonly RowVerdict[] = [
  'regression',
  'failed',
  'improvement',
  'unchanged',
  'inconclusive',
  'refused',
  'added',
  'removed',
];

/** Verdicts that make `isobench compare` exit 1. */
export const FAILING_VERDICTS: readonly RowVerdict[] = ['regression', 'failed'];

/**
 * 'two-runs': one baseline run, its samples against the candidate's (Mann–Whitney, ratio CI);
 * 'history': several earlier runs, each one unit by its median (a prediction interval of one run's median).
 */
export type CompareMode = 'two-runs' | 'history';

/** Where a row's threshold came from: an explicit option, the scenario's `thresholds`, or the default. */
export type ThresholdSource = 'option' | 'scenario' | 'default';

export interface CompareRow {
  scenario: string;
  case: string;
  /** Sweep point; {} without a sweep. */
  point: Record<string, number | string>;
  target: string;
  metric: string;
  /** Base unit of every figure of the row: ns, bytes, bytes_per_s or ratio. */
  unit: string;
  higherIsWorse: boolean;
  /** VM accelerator of each side (undefined for targets that are not VMs). */
  accel: { baseline?: Accel; candidate?: Accel };
  verdict: RowVerdict;
  /** One sentence with the figures behind the verdict. */
  reason: string;
  /** Relative threshold used for this row (0.05 = 5 %). */
  thresholdRatio: number;
  thresholdSource: ThresholdSource;
  /** Baseline runs behind the row: 1 comparing two runs; K, the earlier runs with samples of it, against history. */
  baselineRuns: number;
  /** Samples on each side (over every baseline run; against history only K, the runs, are the units). */
  baselineN: number;
  candidateN: number;
  /**
   * Medians in `unit`; null when that side has no samples. Against history the baseline's is the
   * centre of the earlier runs' medians (their geometric mean).
   */
  baselineMedian: number | null;
  candidateMedian: number | null;
  /** candidate / baseline median - 1; null when not computed. */
  change: number | null;
  /** CI of the ratio candidate / baseline minus 1 (stats computeRatioCi); two runs only, else null. */
  changeCi: ConfidenceInterval | null;
  /**
   * Against history: where the median of one more run without change falls (stats compareWithHistory),
   * in `unit`; null comparing two runs or when not computed.
   */
  predictionInterval: ConfidenceInterval | null;
  /** Two-sided Mann–Whitney U p-value; null when not computed. */
  pValue: number | null;
}

/** A field of a scenario definition that differs between the two sides, e.g. iterations 10 vs 20. */
export interface FieldDiff {
  /** Dotted path into the definition or fingerprint, e.g. `cases[0].plans[1].iterations`. */
  field: string;
  baseline: unknown;
  candidate: unknown;
}

export interface ScenarioDiff {
  scenario: string;
  baselineSha256: string;
  candidateSha256: string;
  /** Up to MAX_FIELD_DIFFS differences; `truncated` says more exist. */
  fields: FieldDiff[];
  truncated: boolean;
}

/** Identity of one run in the report. */
export interface RunRef {
  runId: string;
  startedAt: string;
  commit: string | null;
}

export interface CompareReport {
  /** Two runs, or the candidate against several earlier runs (history). */
  mode: CompareMode;
  /** The statistical method, in words, for anyone reading the output. */
  method: string;
  /** Default threshold (rows may use a scenario's own). */
  thresholdRatio: number;
  alpha: number;
  /** Baseline runs: one, or several earlier runs (history), each one unit. */
  baseline: RunRef[];
  candidate: RunRef;
  /** Number of rows per verdict (every RowVerdict present, 0 when none). */
  counts: Record<RowVerdict, number>;
  rows: CompareRow[];
  /** Scenarios whose definition (sha256) differs between the sides. */
  scenarioDiffs: ScenarioDiff[];
  /** Host fingerprint fields that differ (cpu, cores, kernel, ...), per baseline run. */
  hostDiffs: Array<{ baselineRunId: string; fields: FieldDiff[] }>;
  /** Human sentences about everything above that weakens the comparison. */
  warnings: string[];
}
