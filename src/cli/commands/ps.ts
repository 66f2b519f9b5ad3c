// `isobench ps [-a] [--json]`: containers with their derived status (running only unless -a).
import { type ContainerRecord, Runtime } from '../../container/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

/** "3 s ago", "5 min ago", "2 h ago", "4 d ago". */
export function formatAgo(fromIso: string, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** The STATUS column: "running (pid 123)", "exited (0) 3 s ago", "oom-killed (137) ...", "stopped (exit unknown)". */
export function formatStatus(r: ContainerRecord, nowMs: number): string {
  if (r.status === 'running') return `running (pid ${r.pid})`;
  if (r.status === 'creating') return 'creating';
  const ago = r.finishedAt ? ` ${formatAgo(r.finishedAt, nowMs)}` : '';
  if (!r.exit) return `stopped (exit unknown)${ago}`;
  return `${r.exit.reason} (${r.exit.exitCode})${ago}`;
}

/** Lays rows out in left-aligned columns two spaces apart. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Renders the ps table (header included). */
export function formatPsTable(records: ContainerRecord[], nowMs: number): string {
  const rows = [['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NAME']];
  for (const r of records) {
    rows.push([
      r.id.slice(0, 12),
      r.image.ref,
      truncate(JSON.stringify(r.args.join(' ')), 30),
      formatAgo(r.createdAt, nowMs),
      formatStatus(r, nowMs),
      r.name,
    ]);
  }
  return formatTable(rows);
}

export async function psCommand(ctx: CliContext, opts: { all?: boolean; json?: boolean } = {}): Promise<number> {
  const runtime = await Runtime.open(ctx.root);
  const records = await runtime.list({ all: opts.all === true });
  if (opts.json) ctx.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
  else ctx.stdout.write(`${formatPsTable(records, Date.now())}\n`);
  return 0;
}

/** `isobench ps`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.option('-a, --all', 'show stopped containers too').option('--json', 'print JSON'),
  stateRoot: 'read',
  run: psCommand,
});
