#!/usr/bin/env node
// isobench CLI entry: builds the program (program.ts: commands loaded lazily, since start-up cost
// matters: the CLI path is measured too), parses argv, and maps errors to exit codes (run-cli.ts,
// error-exit.ts).
import { runCli } from './run-cli.js';

// `isobench ps | head` closes our stdout early: that is the reader's choice, not an error. Later
// writes are dropped and the command finishes (and cleans up) as it would have; without this
// listener Node throws EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

// bin/isobench (and the tests) put `--` before the arguments so that Node 20, which looks for its
// own --env-file anywhere on the command line, leaves `run --env-file` to us; it is not ours.
const argv = process.argv[2] === '--' ? [...process.argv.slice(0, 2), ...process.argv.slice(3)] : process.argv;

runCli(argv).then((status) => {
  process.exitCode = status;
});
