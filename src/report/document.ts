// The structure of report.md and report.html, built once from the model: the first screen (the
// answer in sentences, the headline table, the runs), then sections of headings, paragraphs,
// lists and tables. Both renderers walk the same document, so they show the same words and
// figures; every text comes from the run and is escaped by the renderer.

import { buildChartSpecs, type ChartSpec } from './chart-specs.js';
import { buildHeadlineTable, describeFirstScreen } from './first-screen.js';
import { buildMethodBlocks } from './method.js';
import type { ReportModel } from './model.js';
import {
  buildAnswerTable,
  buildDensityTable,
  buildDetailTables,
  buildEnvironmentTable,
  buildFailuresTable,
  buildSkippedTable,
  listReportTargets,
  type TextTable,
} from './tables.js';

/** A line of text, optionally led by a few words in bold. */
export interface LedText {
  lead?: string;
  text: string;
}

/** One piece of a section. */
export type Block =
  | { kind: 'heading'; text: string }
  | ({ kind: 'paragraph' } & LedText)
  | { kind: 'list'; items: LedText[] }
  | { kind: 'table'; table: TextTable }
  | { kind: 'charts'; charts: ChartSpec[] };

export interface Section {
  title: string;
  blocks: Block[];
}

export interface ReportDocument {
  title: string;
  /** The first screen: the answer in sentences, the headline table, the runs. */
  firstScreen: Block[];
  sections: Section[];
}

function tableOr(table: TextTable, empty: string): Block {
  return table.rows.length === 0 ? { kind: 'paragraph', text: empty } : { kind: 'table', table };
}

function describeRuns(report: ReportModel): Block {
  return {
    kind: 'list',
    items: report.runs.map((run) =>
      run.interrupted
        ? {
            lead: run.status,
            text: `${run.label}: run ${run.runId} stopped before every case ran; figures may be missing`,
          }
        : { text: `${run.label}: run ${run.runId}` },
    ),
  };
}

function densitySection(report: ReportModel): Section | null {
  if (report.density.length === 0) return null;
  return {
    title: 'Density: host memory one more instance pins',
    blocks: [
      {
        kind: 'paragraph',
        text:
          'The slope of memory.host_pinned (AnonPages + Shmem + SUnreclaim + KernelStack + PageTables + Percpu ' +
          'over a settled baseline) against the number of instances N, fitted over every iteration at every N, ' +
          'with its 95 % CI; each component is fitted on its own. A slope whose CI includes 0 is below the noise floor.',
      },
      { kind: 'table', table: buildDensityTable(report) },
    ],
  };
}

/** The whole document of one report. Pure of the model. */
export function buildReportDocument(report: ReportModel): ReportDocument {
  const headline = buildHeadlineTable(report);
  const targets = listReportTargets(report).join(', ') || 'none';
  const firstScreen: Block[] = [
    ...describeFirstScreen(report).map((sentence): Block => ({ kind: 'paragraph', ...sentence })),
    ...(headline.rows.length > 0 ? [{ kind: 'table', table: headline } as const] : []),
    { kind: 'paragraph', text: `Native vs container vs VM; targets: ${targets}.` },
    describeRuns(report),
  ];
  const charts = buildChartSpecs(report);
  const sections: Array<Section | null> = [
    densitySection(report),
    {
      title: 'All medians and ratios',
      blocks: [tableOr(buildAnswerTable(report), 'No target produced a figure.')],
    },
    charts.length > 0 ? { title: 'Charts', blocks: [{ kind: 'charts', charts }] } : null,
    { title: 'Method', blocks: buildMethodBlocks(report) },
    {
      title: 'Details',
      blocks: buildDetailTables(report).flatMap((table): Block[] => [
        { kind: 'heading', text: table.title },
        { kind: 'table', table },
      ]),
    },
    { title: 'Skipped and failed targets', blocks: [tableOr(buildSkippedTable(report), 'Every target ran.')] },
    { title: 'Failed iterations', blocks: [tableOr(buildFailuresTable(report), 'No iteration failed.')] },
    { title: 'Environment', blocks: [{ kind: 'table', table: buildEnvironmentTable(report) }] },
  ];
  return {
    title: 'isobench report',
    firstScreen,
    sections: sections.filter((section): section is Section => section !== null),
  };
}
