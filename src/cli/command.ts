// How a CLI command is declared: each file under commands/ exports `cli`, which adds the command's
// arguments and options to commander (typed by the file's own options interface) and runs it.
// NOTE: main.ts loads a command's file only when that command runs (start-up time is measured);
// the command's name and one-line summary live in command-table.ts.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import type { StateRootUse } from './state-root.js';

/** One command: its declaration and its action, in the command's own file. */
export interface CliCommand<Args extends unknown[] = never[]> {
  /** Adds the command's arguments and options to `command` (named and described already). */
  define(command: Command): Command;
  /**
   * What the command does with the state root, checked before it runs (state-root.ts): 'write'
   * needs it writable, 'read' accepts a read-only one already set up. Omitted: the command does
   * not use it, or checks it itself (when an option decides).
   */
  stateRoot?: StateRootUse;
  /**
   * Runs the command with the positional arguments in order, then the options commander parsed
   * (their shape is the options interface of the command's file). Returns the exit status.
   */
  run(ctx: CliContext, ...args: Args): Promise<number>;
}

/** Declares a command; the argument types of `run` follow from the function given. */
export function defineCommand<Args extends unknown[]>(command: CliCommand<Args>): CliCommand<Args> {
  return command;
}

/** Commander's collector for a repeatable option (`-e A -e B`): every value, in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
