// `isobench doctor`: prints what this host can run (table or JSON) and exits 1 when a required check fails.

import { EXIT_ANSWER } from '../../errors.js';
import { areRequiredChecksOk, type DoctorCheck, runDoctor } from '../../host/doctor.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';

/** Formats checks as an aligned text table: name, status, detail, fix. */
export function formatDoctorTable(checks: DoctorCheck[]): string {
  const rows = [['NAME', 'STATUS', 'DETAIL', 'FIX'], ...checks.map((c) => [c.name, c.status, c.detail, c.fix ?? ''])];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  // The last column is not padded; trimEnd drops the padding of rows without a fix.
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Runs the capability probe; returns 0 when root, namespaces, overlayfs and the helper are all ok, else 1. */
export async function doctorCommand(ctx: CliContext, opts: { json?: boolean } = {}): Promise<number> {
  const checks = await runDoctor();
  const ok = areRequiredChecksOk(checks);
  if (opts.json) {
    ctx.stdout.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
  } else {
    ctx.stdout.write(`${formatDoctorTable(checks)}\n`);
    const failed = checks.filter((c) => c.required && c.status !== 'ok').map((c) => c.name);
    ctx.stdout.write(ok ? '\nrequired checks: ok\n' : `\nrequired checks failed: ${failed.join(', ')}\n`);
  }
  return ok ? EXIT_ANSWER.yes : EXIT_ANSWER.no;
}

/** `isobench doctor`: its arguments and options, declared once (name and summary: command-table.ts). */
export const cli = defineCommand({
  define: (command) => command.option('--json', 'print JSON'),
  run: doctorCommand,
});
