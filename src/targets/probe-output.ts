// Reads the probe's report lines (`isobench-probe <step> key=value ...`) out of a workload's
// stdout, so every target's figures come from the same program's own words.

/** The key=value pairs of the last report line of `step`, or undefined when the probe never printed it. */
export function readProbeReport(lines: readonly string[], step: string): Record<string, number> | undefined {
  const prefix = `isobench-probe ${step} `;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith(prefix)) continue;
    const values: Record<string, number> = {};
    for (const pair of line.slice(prefix.length).split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const value = Number(pair.slice(eq + 1));
      if (Number.isFinite(value)) values[pair.slice(0, eq)] = value;
    }
    return values;
  }
  return undefined;
}
