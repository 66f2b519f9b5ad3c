// `isobench suite run [SCENARIO...]`: loads the scenarios, runs them on every target this host
// can run, writes run.json, appends the run to the history and writes the report.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { collectFingerprint } from '../../host/fingerprint.js';
import { packageDir } from '../../paths.js';
import { findScenario, loadScenario } from '../../scenario/index.js';
import { createProgress } from '../../suite/progress.js';
import { createRunDir, newRunId, RUN_FILE } from '../../suite/run-store.js';
import { runSuite, type SuiteScenario } from '../../suite/run-suite.js';
import { createTarget } from '../../targets/index.js';
import { TARGET_KINDS, type TargetKind } from '../../vocabulary.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export interface SuiteRunOptions {
  targets?: string;
  iterations?: string;
  out?: string;
  report?: boolean;
}

function parseTargets(text: string | undefined): TargetKind[] | undefined {
  if (text === undefined) return undefined;
  const kinds = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const kind of kinds) {
    if (!(TARGET_KINDS as readonly string[]).includes(kind)) {
      throw new InputError(
        `expected --targets to be a comma-separated list of ${TARGET_KINDS.join(', ')}; got "${kind}"`,
      );
    }
  }
  return kinds as TargetKind[];
}

function parseIterations(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new InputError(`expected --iterations to be a whole number from 1 to 10000; got "${text}"`);
  }
  return n;
}

async function loadAll(names: string[]): Promise<SuiteScenario[]> {
  const dir = path.join(packageDir(), 'scenarios');
  return Promise.all(
    names.map(async (name) => {
      const file = await findScenario(name, dir);
      const [scenario, bytes] = await Promise.all([loadScenario(file), readFile(file)]);
      return { scenario, sha256: createHash('sha256').update(bytes).digest('hex') };
    }),
  );
}

export async function suiteRunCommand(ctx: CliContext, names: string[], opts: SuiteRunOptions): Promise<number> {
  // Validate everything the user typed before touching anything.
  const targets = parseTargets(opts.targets);
  const iterations = parseIterations(opts.iterations);
  const scenarios = await loadAll(names.length > 0 ? names : ['default']);
  const environment = await collectFingerprint();
  const runId = newRunId(scenarios.map((s) => s.scenario.name));
  const runDir = await createRunDir({ outDir: opts.out, resultsDir: path.resolve('results'), runId });

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      ctx.stderr.write(
        '\nisobench: interrupted: stopping the running iteration and keeping what finished (Ctrl-C again to quit at once)\n',
      );
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const kvm = (environment as { kvm?: { available?: boolean } }).kvm?.available;
  ctx.stderr.write(
    `isobench: run ${runId}: ${scenarios.map((s) => s.scenario.name).join(', ')}; vm accel ${kvm ? 'kvm' : 'tcg (no usable /dev/kvm: slow)'}\n`,
  );
  try {
    const run = await runSuite({
      runId,
      runDir,
      scenarios,
      targets,
      iterations,
      createTarget: (kind, kernel) => createTarget(kind, ctx.layout, kernel),
      progress: createProgress(process.stderr, ctx.isTty),
      signal: controller.signal,
      environment,
      isobench: {
        version: environment.isobench.version,
        commit: environment.isobench.gitCommit,
        dirty: environment.isobench.gitDirty,
      },
      overrides: { ...(targets ? { targets } : {}), ...(iterations ? { iterations } : {}) },
    });
    const { recordRunInHistory } = await import('../../results/history.js');
    await recordRunInHistory(ctx.root, run, runDir);
    ctx.stdout.write(`results: ${path.join(runDir, RUN_FILE)}\n`);
    if (opts.report !== false) {
      const { writeReport } = await import('../../report/write-report.js');
      const written = await writeReport([run], path.join(runDir, 'report'));
      const md = written.files.find((f) => f.endsWith('report.md'));
      ctx.stdout.write(`report:  ${md ?? path.join(runDir, 'report')}\n`);
    }
    for (const series of run.series.filter((s) => s.status !== 'ok')) {
      ctx.stderr.write(
        `isobench: ${series.scenario}/${series.case} ${series.target}: ${series.status}${series.reason ? `: ${series.reason}` : ''}\n`,
      );
    }
    return run.status === 'interrupted' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `isobench suite run`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .argument('[scenarios...]')
      .option('--targets <list>', 'comma-separated targets: native,container,vm,runc,crun,podman')
      .option('--iterations <n>', 'recorded iterations per target and point (overrides the scenario)')
      .option('--out <dir>', 'run directory (default results/<run id>)')
      .option('--no-report', 'do not write the report'),
  run: suiteRunCommand,
});
