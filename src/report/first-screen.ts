// The first screen of report.md and report.html: a few sentences that answer the question with
// numbers (start-up, memory per instance, one more instance, disk per image; each container vs VM
// vs native with the ratio; TCG or KVM; whether the host is itself a VM), then a compact table of
// the headline ratios, vm / container first. Text cells only: the renderers escape them.

import type { Accel, TargetKind } from '../vocabulary.js';
import type { DensityFit } from './density.js';
import { describeRatio, describeSlope } from './figure-text.js';
import {
  ANSWER_RATIOS,
  type AnswerCell,
  findFigure,
  findRatio,
  formatTargetLabel,
  type HeadlineRow,
  listVmFigures,
  type RatioKey,
  type ReportModel,
  type TargetFigure,
} from './model.js';
import type { TextTable } from './tables.js';
import { formatNumber, formatRatio, formatValue } from './units.js';

/** One sentence of the answer: a bold lead ("Start-up") and the figures. */
export interface LeadSentence {
  lead: string;
  text: string;
}

/** Headline ratios in the order the table lists them: vm / container first. */
export const HEADLINE_RATIO_ORDER: readonly RatioKey[] = ['vm/container', 'container/native', 'vm/native'];

const PEERS: readonly TargetKind[] = ['runc', 'crun', 'podman'];

function label(figure: TargetFigure): string {
  return formatTargetLabel(figure.target, figure.accel, figure.variant);
}

function median(row: HeadlineRow, cell: AnswerCell, target: TargetKind): string | null {
  const figure = findFigure(cell, target);
  return figure ? formatValue(row.unit, figure.median) : null;
}

/** "4.64× native's 3.20 ms [4.30–4.84]": the ratio, what it is over, then its CI or why it has none. */
function relation(cell: AnswerCell, key: RatioKey, variant: string | null, against: string): string | null {
  const figure = findRatio(cell, key, variant);
  if (!figure) return null;
  const ci =
    figure.ci.state === 'interval'
      ? ` [${formatNumber(figure.ci.low)}–${formatNumber(figure.ci.high)}]`
      : ` (${figure.ci.reason})`;
  return `${formatRatio(figure.ratio)} ${against}${ci}`;
}

/**
 * "container 14.8 ms, 4.64× native's 3.20 ms [..]; vm (TCG, stock kernel) 2.84 s, 191× the container
 * [..]; vm (TCG, minimal kernel) ...": every vm kernel variant with its own ratio.
 */
function compareTargets(row: HeadlineRow, cell: AnswerCell): string {
  const parts: string[] = [];
  const container = median(row, cell, 'container');
  const native = median(row, cell, 'native');
  if (container !== null) {
    const overNative = native === null ? null : relation(cell, 'container/native', null, `native's ${native}`);
    parts.push(`container ${container}${overNative ? `, ${overNative}` : ''}`);
  }
  for (const vm of listVmFigures(cell)) {
    const against =
      relation(cell, 'vm/container', vm.variant, 'the container') ??
      (native === null ? null : relation(cell, 'vm/native', vm.variant, `native's ${native}`));
    parts.push(`${label(vm)} ${formatValue(row.unit, vm.median)}${against ? `, ${against}` : ''}`);
  }
  if (container === null && native !== null) parts.push(`native ${native}`);
  const peers = PEERS.flatMap((peer) => {
    const value = median(row, cell, peer);
    return value === null ? [] : [`${peer} ${value}`];
  });
  const text = parts.join('; ');
  return peers.length > 0 ? `${text} (peers: ${peers.join(', ')})` : text;
}

function where(row: HeadlineRow): string {
  return `${row.scenario}/${row.case}${row.pointLabel ? `, ${row.pointLabel}` : ''}`;
}

function startupSentence(row: HeadlineRow, cell: AnswerCell): LeadSentence {
  const what = row.metric === 'startup.ready' ? 'launch to ready' : 'launch to exit';
  return { lead: 'Start-up', text: `${what} (${where(row)}): ${compareTargets(row, cell)}.` };
}

function memorySentence(report: ReportModel, row: HeadlineRow, cell: AnswerCell, runIndex: number): LeadSentence {
  if (row.metric !== 'memory.instance') {
    return {
      lead: 'Memory per instance',
      text: `PSS of the instance's processes, shared file pages included (this run has no anon/file split; ${where(row)}): ${compareTargets(row, cell)}.`,
    };
  }
  const file = report.answer.find(
    (other) =>
      other.metric === 'memory.pss_file' &&
      other.scenario === row.scenario &&
      other.case === row.case &&
      other.pointKey === row.pointKey,
  )?.cells[runIndex];
  const shared = (file?.figures ?? []).map((figure) => `${label(figure)} ${formatValue('bytes', figure.median)}`);
  const sharedText =
    shared.length > 0 ? ` File-backed pages, shared with other processes and counted apart: ${shared.join(', ')}.` : '';
  return {
    lead: 'Memory per instance',
    text: `anonymous + shmem PSS of the instance's processes (${where(row)}): ${compareTargets(row, cell)}.${sharedText}`,
  };
}

function densitySentence(fits: readonly DensityFit[]): LeadSentence | null {
  if (fits.length === 0) return null;
  const first = fits[0]!;
  const same = fits.filter((fit) => fit.scenario === first.scenario && fit.case === first.case);
  const parts = same.map((fit) => `${fit.targetLabel} ${describeSlope(fit.total.reading, fit.total.reason)}`);
  return {
    lead: 'One more instance',
    text: `pins on the host (slope of memory.host_pinned over N, ${first.scenario}/${first.case}): ${parts.join('; ')}.`,
  };
}

function diskSentence(row: HeadlineRow, cell: AnswerCell, own: { row: HeadlineRow; cell: AnswerCell } | null) {
  let text = `stored size of what an instance starts from (${where(row)}): ${compareTargets(row, cell)}.`;
  for (const ownFigure of own ? listVmFigures(own.cell) : []) {
    const whole = findFigure(cell, 'vm', ownFigure.variant);
    if (!own || !whole) continue;
    const kernel = formatValue('bytes', whole.median - ownFigure.median);
    const overContainer = relation(own.cell, 'vm/container', ownFigure.variant, 'the container');
    const which = ownFigure.variant ? `the ${label(ownFigure)} image` : 'the VM image';
    text += ` Without the ${kernel} kernel every VM image on the host shares, ${which} is ${formatValue(own.row.unit, ownFigure.median)}${overContainer ? `, ${overContainer}` : ''}.`;
  }
  return { lead: 'Disk per image', text };
}

function accelSentence(report: ReportModel, runIndex: number): LeadSentence | null {
  const accels = report.conditions[runIndex]?.vmAccels ?? [];
  if (accels.length === 0) return null;
  const names = accels.map((accel) => (accel ? accel.toUpperCase() : 'an unrecorded accelerator'));
  const tcg = accels.includes('tcg')
    ? ': software emulation, so VM times and memory are not what a host with KVM gives'
    : '';
  return { lead: 'Accelerator', text: `VMs ran under ${names.join(' and ')}${tcg}.` };
}

function hostSentence(report: ReportModel, runIndex: number): LeadSentence | null {
  const host = report.conditions[runIndex]?.host;
  if (!host) return null;
  const cpus = host.cores === null ? '' : ` ${host.cores} logical CPUs shared by every target and the harness.`;
  switch (host.hostKind) {
    case 'guest':
      return {
        lead: 'Host',
        text: `itself a virtual machine${host.hypervisor ? ` (${host.hypervisor})` : ''}, so VMs ran nested (${host.virtualizationEvidence.join('; ')}).${cpus}`,
      };
    case 'bare-metal':
      return { lead: 'Host', text: `bare metal (${host.virtualizationEvidence.join('; ')}).${cpus}` };
    default:
      return {
        lead: 'Host',
        text: `whether it is itself a VM is not established by this run's record (${host.virtualization}).${cpus}`,
      };
  }
}

/**
 * The answer in a few sentences, from the first run (a report of several runs says so first).
 * Sentences whose figures the run lacks are left out.
 */
export function describeFirstScreen(report: ReportModel): LeadSentence[] {
  if (report.runs.length === 0) return [];
  const runIndex = 0;
  const sentences: LeadSentence[] = [];
  if (report.runs.length > 1) {
    sentences.push({
      lead: 'Runs',
      text: `figures of the first run (${report.runs[0]!.label}); the tables below give all ${report.runs.length}.`,
    });
  }
  const rowOf = (key: HeadlineRow['key']) => {
    const row = report.headline.find((candidate) => candidate.key === key && candidate.cells[runIndex]);
    const cell = row?.cells[runIndex];
    return row && cell ? { row, cell } : null;
  };
  const startup = rowOf('startup');
  if (startup) sentences.push(startupSentence(startup.row, startup.cell));
  const memory = rowOf('memory');
  if (memory) sentences.push(memorySentence(report, memory.row, memory.cell, runIndex));
  const density = densitySentence(report.density.filter((fit) => fit.runIndex === runIndex));
  if (density) sentences.push(density);
  const disk = rowOf('disk');
  if (disk) sentences.push(diskSentence(disk.row, disk.cell, rowOf('disk-own')));
  for (const sentence of [accelSentence(report, runIndex), hostSentence(report, runIndex)]) {
    if (sentence) sentences.push(sentence);
  }
  if (sentences.length === (report.runs.length > 1 ? 1 : 0)) {
    sentences.push({ lead: 'No figures', text: 'no target produced a start-up, memory or disk figure.' });
  }
  return sentences;
}

/** The ratio's value, then both medians, then the accelerator when the row's label does not give it. */
function headlineCell(row: HeadlineRow, cell: AnswerCell | null, line: HeadlineLine): string {
  const figure = cell ? findRatio(cell, line.key, line.variant) : null;
  if (!cell || !figure) return '–';
  const pair = ANSWER_RATIOS.find((candidate) => candidate.key === line.key)!;
  const top = findFigure(cell, pair.numerator, line.variant);
  const bottom = findFigure(cell, pair.denominator);
  const medians =
    top && bottom ? ` (${formatValue(row.unit, top.median)} / ${formatValue(row.unit, bottom.median)})` : '';
  const accel = figure.accel && figure.accel !== line.accel ? ` ${figure.accel.toUpperCase()}` : '';
  return `${describeRatio(figure)}${medians}${accel}`;
}

/** One ratio line of the headline table: a pair, and for a vm numerator one kernel variant. */
interface HeadlineLine {
  key: RatioKey;
  variant: string | null;
  /** The accelerator the line's label names; null when the cells name their own. */
  accel: Accel | null;
  label: string;
}

/**
 * The accelerator of each vm kernel variant when every vm ratio of the headline shares one (the
 * labels then say "vm (TCG, stock kernel)"); null when runs differ, so each cell says its own.
 */
function sharedAccels(report: ReportModel): Map<string | null, Accel | null> {
  const seen = new Map<string | null, Set<Accel | null>>();
  for (const cell of report.headline.flatMap((row) => row.cells)) {
    for (const ratio of cell?.ratios ?? []) {
      if (!ratio.key.startsWith('vm/')) continue;
      seen.set(ratio.variant, (seen.get(ratio.variant) ?? new Set()).add(ratio.accel));
    }
  }
  return new Map([...seen].map(([variant, accels]) => [variant, accels.size === 1 ? [...accels][0]! : null]));
}

/** The ratio lines of one headline row: the pair, once per vm kernel variant when the vm is its numerator. */
function headlineLines(row: HeadlineRow, key: RatioKey, accels: Map<string | null, Accel | null>): HeadlineLine[] {
  const pair = ANSWER_RATIOS.find((candidate) => candidate.key === key)!;
  const variants =
    pair.numerator === 'vm' ? row.targets.filter((t) => t.target === 'vm').map((t) => t.variant) : [null];
  return variants.flatMap((variant) => {
    if (!row.cells.some((cell) => cell && findRatio(cell, key, variant))) return [];
    const accel = pair.numerator === 'vm' ? (accels.get(variant) ?? null) : null;
    const numerator =
      pair.numerator !== 'vm'
        ? pair.numerator
        : accel
          ? formatTargetLabel('vm', accel, variant)
          : `vm${variant ? ` (${variant} kernel)` : ''}`;
    return [{ key, variant, accel, label: `${numerator} / ${pair.denominator}` }];
  });
}

/**
 * The headline table: a row per (ratio, headline figure), vm / container rows first, a column per
 * run; then a row per target's marginal memory per instance.
 */
export function buildHeadlineTable(report: ReportModel): TextTable {
  const rows: string[][] = [];
  const accels = sharedAccels(report);
  for (const key of HEADLINE_RATIO_ORDER) {
    for (const row of report.headline) {
      // Without the shared kernel only a VM's figure changes: its container / native row would repeat.
      if (row.key === 'disk-own' && !key.startsWith('vm/')) continue;
      for (const line of headlineLines(row, key, accels)) {
        rows.push([
          line.label,
          `${row.metric} (${where(row)})`,
          ...row.cells.map((cell) => headlineCell(row, cell, line)),
        ]);
      }
    }
  }
  const fitsByTarget = new Map<string, DensityFit[]>();
  for (const fit of report.density) {
    const key = JSON.stringify([fit.targetLabel, fit.scenario, fit.case]);
    fitsByTarget.set(key, [...(fitsByTarget.get(key) ?? []), fit]);
  }
  for (const fits of fitsByTarget.values()) {
    const first = fits[0]!;
    rows.push([
      `one more ${first.targetLabel}`,
      `memory.host_pinned slope (${first.scenario}/${first.case})`,
      ...report.runs.map((run) => {
        const fit = fits.find((candidate) => candidate.runIndex === run.index);
        return fit ? describeSlope(fit.total.reading, fit.total.reason) : '–';
      }),
    ]);
  }
  return { header: ['figure', 'metric (case)', ...report.runs.map((run) => run.label)], rows };
}
