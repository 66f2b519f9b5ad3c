// `isobench image build CONTEXT -t NAME[:TAG]`: builds an image from a Containerfile/Dockerfile,
// printing one `STEP i/n: INSTRUCTION` line per step ("(cached)" on hits) and the final digest.

import { runEphemeral } from '../../container/index.js';
import { InputError } from '../../errors.js';
import { buildImage } from '../../image/recipe/build.js';
import { collect, defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

export interface ImageBuildOptions {
  tag: string;
  file?: string;
  /** Repeated `--build-arg K=V`. */
  buildArg?: string[];
  /** False with --no-cache: cache hits are ignored (entries are still written). */
  cache?: boolean;
  /** Print only the image digest. */
  quiet?: boolean;
}

/** Parses `K=V` build args; a bare `K` takes the value of K from our environment, as Docker does. */
export function parseBuildArgs(values: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const name = eq < 0 ? value : value.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InputError(`--build-arg expects NAME=VALUE, got '${value}'`, { hint: 'e.g. --build-arg VERSION=1.2' });
    }
    if (eq >= 0) args[name] = value.slice(eq + 1);
    else if (process.env[name] !== undefined) args[name] = process.env[name]!;
  }
  return args;
}

/** Runs the build; returns the exit code (errors propagate to main's typed-error mapping). */
export async function imageBuildCommand(ctx: CliContext, context: string, opts: ImageBuildOptions): Promise<number> {
  const buildArgs = parseBuildArgs(opts.buildArg ?? []);
  // Quiet: progress and RUN output are kept and shown (on stderr) only if the build fails.
  const held: string[] = [];
  let result: Awaited<ReturnType<typeof buildImage>>;
  try {
    result = await buildImage(ctx.layout, {
      contextDir: context,
      tag: opts.tag,
      ...(opts.file ? { file: opts.file } : {}),
      buildArgs,
      noCache: opts.cache === false,
      log: opts.quiet ? (line) => held.push(line) : (line) => ctx.stdout.write(`${line}\n`),
      runOutput: opts.quiet ? 'pipe' : 'inherit',
      runStep: runEphemeral,
    });
  } catch (error) {
    if (held.length > 0) ctx.stderr.write(`${held.join('\n')}\n`);
    throw error;
  }
  const { image, steps } = result;
  if (opts.quiet) {
    ctx.stdout.write(`${image.digest}\n`);
    return 0;
  }
  const cached = steps.filter((s) => s.cached).length;
  const totalMs = steps.reduce((sum, s) => sum + s.durationNs, 0) / 1e6;
  const name = image.refs.join(', ') || opts.tag;
  ctx.stdout.write(
    `built ${name}: ${steps.length} steps (${cached} cached) in ${totalMs.toFixed(0)} ms\n${image.digest}\n`,
  );
  return 0;
}

/** `isobench image build`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command
      .argument('<context>', 'build context directory')
      .requiredOption('-t, --tag <name[:tag]>', 'name of the image')
      .option('-f, --file <file>', 'recipe file (default: CONTEXT/Containerfile or Dockerfile)')
      .option('--build-arg <k=v>', 'set a build ARG (repeatable)', collect, [])
      .option('--no-cache', 'do not use the build cache')
      .option('-q, --quiet', 'print only the image digest'),
  stateRoot: 'write',
  run: imageBuildCommand,
});
