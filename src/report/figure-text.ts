// Figures in words, shared by the first screen, the density table and the Method section: a
// median, a ratio with its CI or the reason it has none, a density slope that is never negative.

import type { SlopeReading } from '../stats/index.js';
import type { RatioFigure, TargetFigure } from './model.js';
import { formatInterval, formatRatio, formatValue } from './units.js';

/** "4.68× [4.41–4.97]", or "4.68× (n too small for a 95 % interval)" when the CI has none. */
export function describeRatio(ratio: RatioFigure): string {
  return ratio.ci.state === 'interval'
    ? formatRatio(ratio.ratio, ratio.ci)
    : `${formatRatio(ratio.ratio)} (${ratio.ci.reason})`;
}

/** A median in its unit, e.g. "14.5 ms". */
export function describeMedian(unit: string, figure: TargetFigure): string {
  return formatValue(unit, figure.median);
}

/**
 * A cost slope in bytes per instance: "412 KiB [380–445 KiB]", "below the noise floor (± 30.1 KiB)",
 * or why there is no figure. Never a negative number.
 */
export function describeSlope(reading: SlopeReading | null, reason: string | null): string {
  if (reading === null) return reason ?? 'no fit';
  switch (reading.state) {
    case 'cost':
      return `${formatValue('bytes', reading.slope)} [${formatInterval('bytes', reading.low, reading.high)}]`;
    case 'below-noise-floor':
      return `below the noise floor (± ${formatValue('bytes', reading.noiseFloor)})`;
    case 'implausible-negative':
      return 'no estimate: memory fell as instances were added (a measurement artefact)';
    case 'n-too-small':
      return reading.reason;
  }
}
