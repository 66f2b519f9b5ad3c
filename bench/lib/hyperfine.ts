// Shared by the benchmarks: hyperfine as an external timer (-N: no shell), one block of runs at a
// time so the caller can interleave it with the harness's own timing.
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';

export const HYPERFINE_MISSING = 'hyperfine not found: install the Debian package hyperfine (bash scripts/setup.sh)';

/**
 * The per-run wall times of the first benchmark in hyperfine's --export-json text, in ns.
 * @throws Error when the text is not hyperfine's JSON, a time is not a non-negative number,
 * a run exited non-zero, or the count differs from `expectedRuns`.
 */
export function parseHyperfineTimesNs(jsonText: string, expectedRuns: number): number[] {
  let report: unknown;
  try {
    report = JSON.parse(jsonText);
  } catch (error) {
    throw new Error(`hyperfine's JSON export does not parse: ${(error as Error).message}`);
  }
  const first = (report as { results?: unknown })?.results;
  const result = Array.isArray(first) ? (first[0] as { times?: unknown; exit_codes?: unknown }) : undefined;
  if (result === undefined || !Array.isArray(result.times))
    throw new Error("hyperfine's JSON export has no results[0].times array");
  const times = result.times as unknown[];
  if (times.length !== expectedRuns)
    throw new Error(`hyperfine reported ${times.length} times, expected ${expectedRuns}`);
  const codes = Array.isArray(result.exit_codes) ? (result.exit_codes as unknown[]) : [];
  const failed = codes.findIndex((code) => code !== 0 && code !== null);
  if (failed >= 0) throw new Error(`hyperfine run ${failed + 1} exited ${String(codes[failed])}`);
  return times.map((seconds, i) => {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0)
      throw new Error(`hyperfine time ${i + 1} is not a non-negative number: ${JSON.stringify(seconds)}`);
    return seconds * 1e9;
  });
}

/**
 * Runs `hyperfine -N --runs <runs> --warmup <warmup> --export-json <jsonFile> <command>` and
 * returns its per-run wall times in ns. `track` receives the child while it runs (to kill it on a
 * signal). @throws Error when hyperfine is missing or fails.
 */
export async function timeHyperfineBlock(
  command: string,
  runs: number,
  warmup: number,
  jsonFile: string,
  track: (child: ChildProcess | undefined) => void,
): Promise<number[]> {
  const args = ['-N', '--style', 'none', '--runs', String(runs), '--warmup', String(warmup)];
  const child = spawn('hyperfine', [...args, '--export-json', jsonFile, command], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(HYPERFINE_MISSING) : error),
    );
    child.once('exit', (exitCode) => resolve(exitCode));
  }).finally(() => track(undefined));
  if (code !== 0) throw new Error(`hyperfine exited ${code}: ${stderr.trim()}`);
  const text = await fs.readFile(jsonFile, 'utf8');
  await fs.rm(jsonFile, { force: true });
  return parseHyperfineTimesNs(text, runs);
}
