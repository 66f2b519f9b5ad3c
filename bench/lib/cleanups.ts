// Shared by the benchmarks: cleanup steps run last-in first-out, once, from the normal end or a
// signal, so a Ctrl-C mid-run leaves no bundle, mount, cgroup or temp dir behind.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Logs one progress line on stderr (stdout is kept for the figures and the --json line). */
export const logLine = (prefix: string) => (line: string) => process.stderr.write(`${prefix}: ${line}\n`);

export interface Cleanups {
  /** Registers a step; the returned function unregisters it (when it was done on the normal path). */
  add(label: string, run: () => Promise<unknown>): () => void;
  /** Runs every registered step, newest first; a failing step is logged and the rest still run. */
  runAll(): Promise<void>;
}

/** A LIFO cleanup list; `log` receives "cleanup of X failed" lines. */
export function createCleanups(log: (line: string) => void): Cleanups {
  const steps: Array<{ label: string; run: () => Promise<unknown> }> = [];
  let running: Promise<void> | undefined;
  return {
    add(label, run) {
      steps.push({ label, run });
      return () => {
        const index = steps.findIndex((step) => step.run === run);
        if (index >= 0) steps.splice(index, 1);
      };
    },
    runAll() {
      running ??= (async () => {
        for (let step = steps.pop(); step; step = steps.pop()) {
          await step.run().catch((error: unknown) => log(`cleanup of ${step!.label} failed: ${String(error)}`));
        }
      })();
      return running;
    },
  };
}

/**
 * The start of a benchmark's main(): a cleanup list that SIGINT/SIGTERM run before exiting with
 * 128 + the signal, a stdout whose closing (`| head`) cannot crash the run before its cleanups,
 * and a temp dir `isobench-bench-<name>-*` removed last.
 */
export async function openBenchRun(
  name: string,
  log: (line: string) => void,
): Promise<{ cleanups: Cleanups; tmp: string }> {
  const cleanups = createCleanups(log);
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void cleanups.runAll().finally(() => process.exit(128 + (os.constants.signals[signal] ?? 0)));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stdout.on('error', () => undefined);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), `isobench-bench-${name}-`));
  cleanups.add('the temp dir', () => fs.rm(tmp, { recursive: true, force: true }));
  return { cleanups, tmp };
}
