// `isobench suite run [SCENARIO...]`: loads the scenarios, runs them on every target this host
// can run, writes run.json, appends the run to the history and writes the report.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT_STATUS, InputError } from '../../errors.js';
import { collectFingerprint } from '../../host/fingerprint.js';
import { parseHostLabel } from '../../host/host-identity.js';
import { checkCanDropPageCache } from '../../host/page-cache.js';
import { packageDir } from '../../paths.js';
import { resolveHistoryLocation } from '../../results/history-location.js';
import { findScenario, loadScenario } from '../../scenario/index.js';
import { createProgress } from '../../suite/progress.js';
import type { RunResult } from '../../suite/run-schema.js';
import { createRunDir, newRunId, RUN_FILE } from '../../suite/run-store.js';
import { runSuite, type SuiteScenario } from '../../suite/run-suite.js';
import { createTarget } from '../../targets/index.js';
import { checkOutputDir } from '../../util/atomic.js';
import { TARGET_KINDS, type TargetKind } from '../../vocabulary.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export interface SuiteRunOptions {
  targets?: string;
  iterations?: string;
  out?: string;
  report?: boolean;
  /** Where to record the run: a postgres:// URL or a SQLite path (default ISOBENCH_HISTORY_URL, else <root>/history.sqlite). */
  history?: string;
  hostLabel?: string;
  hostClass?: string;
  /** Drop the host's page cache before each launch. */
  cold?: boolean;
  /** Seed of the round orders (replays a run's order). */
  seed?: string;
}

function parseTargets(text: string | undefined): TargetKind[] | undefined {
  if (text === undefined) return undefined;
  const kinds = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (kinds.length === 0) throw new InputError(`expected --targets to name at least one of ${TARGET_KINDS.join(', ')}`);
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

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text.trim()) || Number(text) >= 2 ** 32) {
    throw new InputError(`expected --seed to be a whole number from 0 to 4294967295; got "${text}"`, {
      hint: "give the order seed recorded in a run's run.json (order.seed), or leave --seed out for a random one",
    });
  }
  return Number(text);
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

/**
 * The exit status of a finished run, for CI: 130 when interrupted; EXIT_STATUS.WORKLOAD (8) when
 * some case has no successful iteration on a target that was available (series status 'failed');
 * else 0. A target the host lacks ('skipped') does not count, and a 'partial' series has samples.
 */
export function suiteRunExitStatus(run: Pick<RunResult, 'status' | 'series'>): number {
  if (run.status === 'interrupted') return EXIT_STATUS.INTERRUPTED;
  return run.series.some((s) => s.status === 'failed') ? EXIT_STATUS.WORKLOAD : 0;
}

/** What `suite run --help` says of its exit statuses (the README's table lists every command's). */
export const SUITE_RUN_EXIT_HELP = `
Exit status:
  0    every case recorded at least one successful iteration on every target that was available
       (targets this host lacks are skipped and do not count)
  ${EXIT_STATUS.INPUT}    bad input (a flag, a scenario file); nothing was run
  ${EXIT_STATUS.WORKLOAD}    a case recorded no successful iteration on a target that was available;
       run.json, the history and the report are still written
  ${EXIT_STATUS.INTERRUPTED}  interrupted (Ctrl-C or SIGTERM); what finished is kept
`;

export async function suiteRunCommand(ctx: CliContext, names: string[], opts: SuiteRunOptions): Promise<number> {
  // Validate everything the user typed before touching anything.
  const targets = parseTargets(opts.targets);
  const iterations = parseIterations(opts.iterations);
  const seed = parseSeed(opts.seed);
  const hostLabel = opts.hostLabel === undefined ? undefined : parseHostLabel(opts.hostLabel, '--host-label');
  const hostClass = opts.hostClass === undefined ? undefined : parseHostLabel(opts.hostClass, '--host-class');
  const history = resolveHistoryLocation(ctx.root, opts.history);
  if (opts.out !== undefined) await checkOutputDir(opts.out);
  const scenarios = await loadAll(names.length > 0 ? names : ['default']);
  if (opts.cold) await checkCanDropPageCache();
  // A history that cannot be opened fails now, not after the whole suite has run.
  const { openHistory, recordRunInHistory } = await import('../../results/history.js');
  await (await openHistory(history)).close();
  const environment = await collectFingerprint({ hostLabel, hostClass });
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
      ...(seed === undefined ? {} : { seed }),
      cold: opts.cold === true,
      createTarget: (kind, kernel) => createTarget(kind, ctx.layout, kernel),
      progress: createProgress(process.stderr, ctx.isTty),
      signal: controller.signal,
      environment,
      isobench: {
        version: environment.isobench.version,
        commit: environment.isobench.gitCommit,
        dirty: environment.isobench.gitDirty,
      },
      overrides: {
        ...(targets ? { targets } : {}),
        ...(iterations ? { iterations } : {}),
        ...(seed === undefined ? {} : { seed }),
        ...(opts.cold ? { cold: true } : {}),
      },
    });
    ctx.stdout.write(`results: ${path.join(runDir, RUN_FILE)}\n`);
    try {
      await recordRunInHistory(history, run, runDir);
    } catch (error) {
      ctx.stderr.write(
        `isobench: the run is kept in ${runDir}; record it later with \`isobench history --add ${runDir}${opts.history === undefined ? '' : ' --history URL'}\`\n`,
      );
      throw error;
    }
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
    const status = suiteRunExitStatus(run);
    if (status === EXIT_STATUS.WORKLOAD) {
      const failed = run.series.filter((s) => s.status === 'failed').length;
      ctx.stderr.write(
        `isobench: ${failed} of ${run.series.length} series recorded no successful iteration on an available target (exit ${status})\n`,
      );
    }
    return status;
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
      .option('--cold', "drop the host's page cache (sync, then /proc/sys/vm/drop_caches) before each launch")
      .option('--seed <n>', "seed of the targets' order in each round (default random; recorded in run.json)")
      .option('--no-report', 'do not write the report')
      .option(
        '--history <url>',
        'record the run in this history: postgres://… or a SQLite file; env ISOBENCH_HISTORY_URL',
      )
      .option('--host-label <name>', 'what reports call this host (default its hostname)')
      .option('--host-class <class>', 'the runner class, to group hosts (e.g. c6i.large)')
      .addHelpText('after', SUITE_RUN_EXIT_HELP),
  stateRoot: 'write',
  run: suiteRunCommand,
});
