// `isobench exec NAME CMD...`: run a command inside a running container; exit code = its.
import { Runtime } from '../../container/index.js';
import { WorkloadExecError } from '../../container/launch/helper-protocol.js';
import { collect, defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { formatErrorLine } from '../error-exit.js';
import { type InteractiveFlags, resolveInteractive } from '../interactive-flags.js';

export async function execCommand(
  ctx: CliContext,
  name: string,
  args: string[],
  opts: { env?: string[]; workdir?: string; user?: string } & InteractiveFlags = {},
): Promise<number> {
  const io = resolveInteractive(opts);
  const runtime = await Runtime.open(ctx.root);
  try {
    const exit = await runtime.exec(name, args, {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
      ...(opts.user !== undefined ? { user: opts.user } : {}),
      stdio: 'inherit',
      ...(opts.interactive ? { stdin: io.stdin } : {}),
      ...(io.tty ? { tty: true } : {}),
    });
    return exit.exitCode;
  } catch (error) {
    // As `run` (and a shell): a command that cannot be exec'd exits 127 (not found) or 126.
    if (!(error instanceof WorkloadExecError)) throw error;
    ctx.stderr.write(formatErrorLine(error));
    return error.exitCode;
  }
}

/** `isobench exec`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .argument('<container>')
      .argument('<cmd...>')
      .option('-i, --interactive', 'keep stdin open and pass it to the process')
      .option('-t, --tty', 'give the process a pseudo-terminal')
      .option('-e, --env <k=v>', 'set an environment variable (repeatable)', collect, [])
      .option('-w, --workdir <dir>', 'working directory')
      .option('-u, --user <user[:group]>', 'user to run as')
      .passThroughOptions(),
  stateRoot: 'write',
  run: execCommand,
});
