// `isobench exec NAME CMD...`: run a command inside a running container; exit code = its.
import { Runtime } from '../../container/index.js';
import type { CliContext } from '../context.js';

export async function execCommand(
  ctx: CliContext,
  name: string,
  args: string[],
  opts: { env?: string[]; workdir?: string; user?: string } = {},
): Promise<number> {
  const runtime = await Runtime.open(ctx.root);
  const exit = await runtime.exec(name, args, {
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.workdir !== undefined ? { workdir: opts.workdir } : {}),
    ...(opts.user !== undefined ? { user: opts.user } : {}),
    stdio: 'inherit',
  });
  return exit.exitCode;
}
