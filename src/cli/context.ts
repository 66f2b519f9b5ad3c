// What every CLI command receives: the state root and the streams it writes to.
import type { Writable } from 'node:stream';
import { type RootLayout, rootLayout } from '../paths.js';

export interface CliContext {
  /** Absolute state root (--root / ISOBENCH_ROOT / default). */
  root: string;
  layout: RootLayout;
  stdout: Writable;
  stderr: Writable;
  /** True when stdout is a terminal (progress bars, colours). */
  isTty: boolean;
}

export function makeCliContext(root: string): CliContext {
  return {
    root,
    layout: rootLayout(root),
    stdout: process.stdout,
    stderr: process.stderr,
    isTty: Boolean(process.stdout.isTTY),
  };
}

/** Every command module exports functions of this shape; the value is the process exit code. */
export type CommandResult = Promise<number>;
