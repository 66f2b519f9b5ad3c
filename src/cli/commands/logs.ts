// `isobench logs [-f] NAME`: print a detached container's stdout.log/stderr.log; with -f keep
// following until the container stops.
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime } from '../../container/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

const FOLLOW_POLL_MS = 100;

/** Copies the bytes of `file` from `offset` to `out`; returns the new offset (same when absent). */
async function copyFrom(file: string, offset: number, out: NodeJS.WritableStream): Promise<number> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return offset;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return offset;
      offset += bytesRead;
      const chunk = Buffer.from(buffer.subarray(0, bytesRead));
      if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
    }
  } finally {
    await handle.close();
  }
}

export async function logsCommand(ctx: CliContext, name: string, opts: { follow?: boolean } = {}): Promise<number> {
  const runtime = await Runtime.open(ctx.root);
  const record = await runtime.get(name);
  if (!record.detached) {
    ctx.stderr.write(
      `isobench: container ${record.name} ran attached: its output went to the terminal, no log was kept\n`,
    );
    return 0;
  }
  const { stdoutPath, stderrPath } = await runtime.logs(record.id);
  let outOffset = 0;
  let errOffset = 0;
  for (;;) {
    // Read the status before draining, so the last bytes written before the exit are printed.
    const running = opts.follow ? (await runtime.get(record.id)).status !== 'stopped' : false;
    outOffset = await copyFrom(stdoutPath, outOffset, ctx.stdout);
    errOffset = await copyFrom(stderrPath, errOffset, ctx.stderr);
    if (!running) return 0;
    await sleep(FOLLOW_POLL_MS);
  }
}

/** `isobench logs`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) =>
    command.argument('<container>').option('-f, --follow', 'keep printing until the container exits'),
  stateRoot: 'read',
  run: logsCommand,
});
