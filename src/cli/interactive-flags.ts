// -i/-t as `run` and `exec` take them, with Docker's meaning and Docker's refusal of `-it` when
// stdin is not a terminal.
import { isatty } from 'node:tty';
import { InputError } from '../errors.js';

/** The flags as commander gives them. */
export interface InteractiveFlags {
  /** -i: keep stdin open and pass it to the workload (piped or a terminal). */
  interactive?: boolean;
  /** -t: give the workload a pty. */
  tty?: boolean;
}

/** What the runtime takes. */
export interface InteractiveIo {
  stdin: 'inherit' | 'ignore';
  tty: boolean;
}

/**
 * Resolves -i/-t. As Docker does, -t with -i needs a terminal on stdin (raw mode and window size
 * come from it); -t alone needs none (the pty's output is relayed to wherever stdout goes).
 * `stdinIsTty` is injectable for tests. @throws InputError "the input device is not a TTY".
 */
export function resolveInteractive(
  flags: InteractiveFlags,
  stdinIsTty: () => boolean = () => isatty(0),
): InteractiveIo {
  const tty = flags.tty === true;
  const stdin = flags.interactive === true ? 'inherit' : 'ignore';
  if (tty && stdin === 'inherit' && !stdinIsTty()) {
    throw new InputError('the input device is not a TTY', {
      hint: 'run -it from a terminal, or drop -t to pass piped input with -i alone',
    });
  }
  return { stdin, tty };
}
