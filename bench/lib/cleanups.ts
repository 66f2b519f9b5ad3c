// Shared by the benchmarks: cleanup steps run last-in first-out, once, from the normal end or a
// signal, so a Ctrl-C mid-run leaves no bundle, mount, cgroup or temp dir behind.

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
