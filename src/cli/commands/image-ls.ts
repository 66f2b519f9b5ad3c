// `isobench image ls`: the images in the store with their disk usage.
import { ImageStore } from '../../image/store.js';
import { formatValue } from '../../report/units.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { formatTextTable } from '../text-table.js';

/**
 * Lists images: REPOSITORY TAG DIGEST(12 hex) CREATED SIZE SHARED UNIQUE, one row per ref
 * (untagged images show <none>). `--json` prints the raw figures in bytes.
 */
export async function imageLsCommand(ctx: CliContext, opts: { json?: boolean }): Promise<number> {
  const store = await ImageStore.open(ctx.root);
  const usage = await store.diskUsage();
  const rows = usage.flatMap((u) => {
    const refs = u.image.refs.length > 0 ? u.image.refs : ['<none>:<none>'];
    return refs.map((ref) => {
      const colon = ref.lastIndexOf(':');
      return {
        repository: ref.slice(0, colon),
        tag: ref.slice(colon + 1),
        digest: u.image.digest,
        created: u.image.config.created ?? null,
        sizeBytes: u.sizeBytes,
        sharedBytes: u.sharedBytes,
        uniqueBytes: u.uniqueBytes,
      };
    });
  });
  if (opts.json) {
    ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const table = [
    ['REPOSITORY', 'TAG', 'DIGEST', 'CREATED', 'SIZE', 'SHARED', 'UNIQUE'],
    ...rows.map((r) => [
      r.repository,
      r.tag,
      r.digest.slice(7, 19),
      r.created ?? '-',
      formatValue('bytes', r.sizeBytes),
      formatValue('bytes', r.sharedBytes),
      formatValue('bytes', r.uniqueBytes),
    ]),
  ];
  ctx.stdout.write(`${formatTextTable(table)}\n`);
  return 0;
}

/** `isobench image ls`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.option('--json', 'print JSON'),
  stateRoot: 'read',
  run: imageLsCommand,
});
