// The Method section, generated from the runs: what each figure covers on each target
// (src/metric-definitions.ts, only for what the runs recorded), n and the CI methods, and the
// caveats that apply to each run (accelerator, nesting, page cache, peers' rootfs, KSM/THP, ...).

import { formatLevel } from '../stats/index.js';
import { METRICS, type MetricName } from '../vocabulary.js';
import type { PeerMount, RunConditions } from './conditions.js';
import type { Block } from './document.js';
import type { ReportModel } from './model.js';
import type { TextTable } from './tables.js';
import { formatValue } from './units.js';

/**
 * The table of what each (metric, target) covers, with n per series and the phases recorded (on the
 * first start-up metric only); targets a metric covers alike share one row.
 */
export function buildDefinitionTable(report: ReportModel): TextTable {
  const phasesShownFor = report.definitions.find((row) => row.metric.startsWith('startup.'))?.metric;
  const rows: string[][] = [];
  let previousKey = '';
  for (const row of report.definitions) {
    const cells = [
      row.covers ?? 'as defined above',
      row.nMin === row.nMax ? String(row.nMin) : `${row.nMin}–${row.nMax}`,
      row.metric === phasesShownFor ? row.phases.join(' → ') || '–' : '–',
    ];
    const key = JSON.stringify([row.metric, ...cells]);
    const last = rows[rows.length - 1];
    if (last && key === previousKey) {
      last[1] = `${last[1]}, ${row.target}`;
      continue;
    }
    previousKey = key;
    rows.push([row.metric, row.target, ...cells]);
  }
  return { header: ['metric', 'target', 'on this target', 'n per series', 'phases, in order'], rows };
}

/** One line per metric of the definition table: what it is on every target. */
function listCommonDefinitions(report: ReportModel): Array<{ lead: string; text: string }> {
  const seen = new Map<string, string>();
  for (const row of report.definitions) if (!seen.has(row.metric)) seen.set(row.metric, row.common);
  return [...seen].map(([metric, common]) => ({ lead: metric, text: `${common}.` }));
}

/** Metrics the runs recorded that the definition table does not cover, with their vocabulary description. */
function listOtherMetrics(report: ReportModel): Array<{ lead: string; text: string }> {
  const defined = new Set(report.definitions.map((row) => row.metric));
  const others = new Set<string>();
  for (const group of report.groups) {
    for (const series of group.series) for (const figures of series.metrics) others.add(figures.metric);
  }
  const order = Object.keys(METRICS);
  return [...others]
    .filter((metric) => !defined.has(metric))
    .sort((a, b) => order.indexOf(a) - order.indexOf(b) || a.localeCompare(b))
    .map((metric) => ({
      lead: metric,
      text: `${METRICS[metric as MetricName]?.description ?? 'not a metric this version of isobench knows'}.`,
    }));
}

/** How every interval and test of the report is computed, in words. */
export function describeStatistics(report: ReportModel): string {
  const { confidence, medianCiMinN, outlierMinN, outlierZLimit } = report.stats;
  const level = formatLevel(confidence);
  return (
    `Medians, with a ${level} CI between two order statistics whose exact binomial coverage is at least ${level} ` +
    `for any continuous distribution; it needs n ≥ ${medianCiMinN}. ` +
    "A ratio's CI is the Hodges–Lehmann interval of the exact Mann–Whitney test on log values, exponentiated: " +
    "distribution-free when one target's values are the other's times a constant; it needs, for example, " +
    '4 and 4 samples, or 3 and 5. ' +
    `Where n is too small a table says "n too small for a ${level} interval" instead of an interval. ` +
    `Outliers: a modified z-score (0.6745 times the distance to the median, over the MAD) above ${outlierZLimit}, ` +
    `checked only from n = ${outlierMinN}; counted, never removed. ` +
    (report.density.length === 0
      ? ''
      : 'Density: a least-squares line of memory.host_pinned (and of each of its /proc/meminfo components) against ' +
        `the number of instances N, over every iteration at every N; the slope's ${level} CI is Student's t with n − 2 ` +
        'degrees of freedom (independent errors of one variance). A slope whose CI includes 0 reads "below the noise ' +
        'floor (± X)", X being the largest slope either way the data cannot rule out; a cost is never shown negative. ') +
    'Time and memory: lower is better, so a ratio above 1× is a cost. Throughput: higher is better.'
  );
}

function describePeerMount(mount: PeerMount): string {
  switch (mount.state) {
    case 'timed':
      return `${mount.target}: the overlay mount of the image layers is inside the clock${mount.mountNs === null ? '' : ` (its phase ends ${formatValue('ns', mount.mountNs)} after launch, median)`}, as for isobench.`;
    case 'pre-mounted':
      return `${mount.target}: given a pre-mounted rootfs, so its start-up clock leaves out the overlay mount that isobench's includes.`;
    default:
      return `${mount.target}: no overlay-mount phase was recorded, so this run does not show whether its clock includes the mount.`;
  }
}

/** The caveats of one run, each a line with a lead, derived from its record only. */
export function listCaveats(conditions: RunConditions): Array<{ lead: string; text: string }> {
  const items: Array<{ lead: string; text: string }> = [];
  const host = conditions.host;
  if (conditions.vmAccels.length > 0) {
    const tcg = conditions.vmAccels.includes('tcg');
    const names = conditions.vmAccels.map((accel) => (accel ? accel.toUpperCase() : 'not recorded')).join(' and ');
    items.push({
      lead: 'VM accelerator',
      text: tcg
        ? `${names}: QEMU emulated the guest CPU in software; VM start-up, CPU and I/O figures are far from KVM ones and must not be quoted as such.`
        : `${names}.`,
    });
  }
  items.push({ lead: 'Host virtualisation', text: `${host.virtualization}.` });
  // bench:truth found every start-up a constant above hyperfine -N; the reader must know why.
  items.push({
    lead: 'Harness launch',
    text: "every start-up figure includes the harness's own launch of the target's first process from Node (the spawn, and the exit delivered through its event loop), the same way for every target: a few ms that compress the ratio of two short start-ups. `npm run bench:truth` measures it on a host against hyperfine -N (BENCHMARKS.md).",
  });
  items.push({
    lead: 'Host page cache',
    text:
      conditions.coldCache.state === 'recorded'
        ? conditions.coldCache.value
          ? `cold: dropped before each instance (${conditions.coldCache.where}).`
          : `warm: not dropped between instances (${conditions.coldCache.where}).`
        : 'not recorded by this run (isobench drops it only when asked to, with --cold).',
  });
  for (const mount of conditions.peerMounts) items.push({ lead: 'Peer rootfs', text: describePeerMount(mount) });
  const ksm =
    host.ksmRun === null
      ? 'KSM not recorded'
      : host.ksmRun === 0
        ? 'KSM off'
        : host.ksmRun === 1
          ? 'KSM merging: identical pages of different instances (e.g. VM guests) may be shared, lowering their memory'
          : `KSM run = ${host.ksmRun}`;
  const thp = host.thpEnabled === null ? 'THP not recorded' : `THP ${host.thpEnabled}`;
  items.push({ lead: 'Memory', text: `${ksm}; ${thp}.` });
  items.push({
    lead: 'Round order',
    text:
      conditions.orderSeed.state === 'recorded'
        ? `targets in a random order each round, seed ${conditions.orderSeed.value}.`
        : 'the seed of the order of targets is not recorded in this run.',
  });
  if (conditions.settleMs.state === 'recorded') {
    items.push({ lead: 'Settle pause', text: `${conditions.settleMs.value} ms between instances.` });
  }
  const cpus = host.cores === null ? 'CPU count not recorded' : `${host.cores} logical CPUs`;
  const memory = host.memoryBytes === null ? 'memory not recorded' : `${formatValue('bytes', host.memoryBytes)} RAM`;
  items.push({ lead: 'Machine', text: `${cpus}, ${memory}, shared by every target and the harness.` });
  const failed =
    conditions.failedIterations === 0
      ? 'no iteration failed'
      : `${conditions.failedIterations} of ${conditions.recordedIterations} recorded iterations failed (listed below)`;
  items.push({
    lead: 'Run',
    text: conditions.interrupted
      ? `status ${conditions.status}: it stopped before every case ran, so figures may be missing; ${failed}.`
      : `complete; ${failed}.`,
  });
  return items;
}

/** The Method section's blocks. */
export function buildMethodBlocks(report: ReportModel): Block[] {
  const blocks: Block[] = [
    { kind: 'heading', text: 'What each figure covers' },
    { kind: 'list', items: listCommonDefinitions(report) },
  ];
  if (report.definitions.length > 0) blocks.push({ kind: 'table', table: buildDefinitionTable(report) });
  const others = listOtherMetrics(report);
  if (others.length > 0) {
    blocks.push({ kind: 'paragraph', text: 'Also recorded, as the vocabulary defines them:' });
    blocks.push({ kind: 'list', items: others });
  }
  blocks.push({ kind: 'heading', text: 'Statistics' }, { kind: 'paragraph', text: describeStatistics(report) });
  for (const conditions of report.conditions) {
    const title =
      report.runs.length > 1
        ? `Conditions of run ${report.runs[conditions.runIndex]!.label}`
        : 'Conditions of this run';
    blocks.push({ kind: 'heading', text: title }, { kind: 'list', items: listCaveats(conditions) });
  }
  return blocks;
}
