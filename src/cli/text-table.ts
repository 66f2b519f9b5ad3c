// Aligned plain-text tables for command output: columns padded to their widest cell, two spaces apart.

/**
 * Joins `rows` (the header first) into lines with every column padded to its widest cell and
 * trailing spaces trimmed. Precondition: every row has as many cells as the first.
 */
export function formatTextTable(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
