#!/usr/bin/env node
// isobench CLI entry: builds the program (program.ts: commands loaded lazily, since start-up cost
// matters: the CLI path is measured too), parses argv, and maps errors to exit codes (error-exit.ts).
import { reportError } from './error-exit.js';
import { buildProgram } from './program.js';

buildProgram(process.argv)
  .then((program) => program.parseAsync(process.argv))
  .catch((error: unknown) => {
    process.exitCode = reportError(error);
  });
