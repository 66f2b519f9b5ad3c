// The resource limits and capabilities that bound what containers may be given (RLIMIT_NOFILE, CAP_SYS_RESOURCE).

import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface NofileLimit {
  /** Soft limit, or null for "unlimited". */
  soft: number | null;
  hard: number | null;
}

/** Parses the "Max open files" row of /proc/<pid>/limits. */
export function parseNofileLimit(limitsText: string): NofileLimit | undefined {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  if (!match) return undefined;
  const parse = (word: string): number | null => (word === 'unlimited' ? null : Number(word));
  return { soft: parse(match[1]!), hard: parse(match[2]!) };
}

/** CAP_SYS_RESOURCE (capabilities(7)): without it in the bounding set, no rlimit can go above its hard limit. */
export const CAP_SYS_RESOURCE = 24;

/** Whether capability `cap` is in the CapBnd mask of /proc/<pid>/status text. */
export function hasBoundingCapability(statusText: string, cap: number): boolean {
  const match = /^CapBnd:\s+([0-9a-f]+)$/m.exec(statusText);
  if (!match) return false;
  return ((BigInt(`0x${match[1]}`) >> BigInt(cap)) & 1n) === 1n;
}

/** RLIMIT_NOFILE of this process and whether it could be raised (CAP_SYS_RESOURCE in the bounding set). */
export async function readNofileLimit(
  options: { procRoot?: string } = {},
): Promise<NofileLimit & { canRaiseHard: boolean }> {
  const self = path.join(options.procRoot ?? '/proc', 'self');
  const [limits, status] = await Promise.all([
    readFile(path.join(self, 'limits'), 'utf8'),
    readFile(path.join(self, 'status'), 'utf8'),
  ]);
  const nofile = parseNofileLimit(limits) ?? { soft: null, hard: null };
  return { ...nofile, canRaiseHard: hasBoundingCapability(status, CAP_SYS_RESOURCE) };
}
