// Colours of every chart: the Okabe–Ito palette (safe for the common colour-vision deficiencies),
// one fixed colour per target kind so a target looks the same in every chart and every report.

import type { TargetKind } from '../vocabulary.js';

/** Okabe & Ito (2008), in their order. */
export const OKABE_ITO = [
  '#E69F00',
  '#56B4E9',
  '#009E73',
  '#F0E442',
  '#0072B2',
  '#D55E00',
  '#CC79A7',
  '#000000',
] as const;

/** NOTE: fixed per target kind across charts and reports; yellow and black stay free for non-target series. */
export const TARGET_COLOURS: Record<TargetKind, string> = {
  native: '#009E73',
  container: '#0072B2',
  vm: '#D55E00',
  runc: '#E69F00',
  crun: '#56B4E9',
  podman: '#CC79A7',
};

/** Colours for series that are not targets (phases, disk components), in a fixed order. */
export const COMPONENT_COLOURS: readonly string[] = OKABE_ITO;

/** Colour of whiskers, reference lines and text. */
export const INK_COLOUR = '#000000';

/** Dash patterns telling runs apart on line charts (colour stays the target's). */
export const RUN_DASHES: number[][] = [[], [8, 4], [2, 3], [12, 4, 2, 4]];
