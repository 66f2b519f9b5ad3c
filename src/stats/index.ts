// The statistics every isobench figure goes through: summaries, distribution-free CIs of a median
// and of a ratio, outliers, Mann–Whitney, run-vs-run and run-vs-history comparison, line fits,
// and the balanced order of targets.

export type { CompareOptions, Comparison, Verdict } from './compare.js';
export { compareSamples, MIN_COMPARE_SAMPLES } from './compare.js';
export type { HistoryCompareOptions, HistoryComparison } from './history-compare.js';
export { compareWithHistory, MIN_HISTORY_RUNS } from './history-compare.js';
export type { ConfidenceInterval, GivenInterval, TooFewForInterval } from './interval.js';
export { formatLevel } from './interval.js';
export type { LineFit, SlopeInterval, SlopeReading } from './line-fit.js';
export { fitLine, readCostSlope } from './line-fit.js';
export type { MannWhitneyResult } from './mann-whitney.js';
export { EXACT_LIMIT, mannWhitneyU } from './mann-whitney.js';
export type { MedianCi, MedianCiRanks, OrderStatisticInterval } from './median-ci.js';
export { chooseMedianCiRanks, computeMedianCi, findMedianCiMinN } from './median-ci.js';
export { normalQuantile, normalUpperTail } from './normal.js';
export type { OutlierCheck, OutliersFlagged, OutliersNotChecked } from './outliers.js';
export { checkOutliers, findOutliers, OUTLIER_MIN_N, OUTLIER_Z_LIMIT } from './outliers.js';
export { median, quantile, quantileSorted } from './quantile.js';
export type { Random } from './random.js';
export { createRandom, DEFAULT_SEED } from './random.js';
export type { NotPositiveForRatio, RatioCi, RatioInterval, ShiftCiRanks } from './ratio-ci.js';
export { chooseShiftCiRanks, computeRatioCi } from './ratio-ci.js';
export { planRoundOrders, shuffle } from './round-order.js';
export type { Samples } from './samples.js';
export { requireSamples, sortAscending } from './samples.js';
export { studentTQuantile } from './student-t.js';
export type { Summary, SummaryOptions } from './summary.js';
export { summarize } from './summary.js';
