// Sizes as users type them ("256m", "1GiB") to bytes and back; binary units throughout.

import { InputError } from '../errors.js';

const UNIT_SHIFT: Record<string, number> = { '': 0, k: 10, m: 20, g: 30, t: 40 };
const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i;

/**
 * Parses a size to bytes: a byte count ("1048576") or a number with a binary unit k/m/g/t
 * (case-insensitive, optional "b"/"ib" suffix: "512k", "256MB", "1GiB", "1.5g").
 * Fractions are rounded down to whole bytes. `what` names the flag in the error, e.g. "--memory".
 * @throws InputError on anything else, saying the expected form.
 */
export function parseSize(text: string, what = 'a size'): number {
  const match = SIZE_PATTERN.exec(text.trim());
  // "ib" only makes sense after a unit: "1ib" is garbage.
  if (!match || (match[2] === '' && match[3]?.toLowerCase() === 'ib')) {
    throw new InputError(`expected ${what} to be a size like 512k, 256m, 1g or a byte count, got '${text}'`, {
      hint: 'use a number with an optional binary unit k, m, g or t (e.g. 256m = 256 MiB)',
    });
  }
  const bytes = Math.floor(Number(match[1]) * 2 ** UNIT_SHIFT[match[2]!.toLowerCase()]!);
  if (!Number.isSafeInteger(bytes)) {
    const maxTiB = Math.floor(Number.MAX_SAFE_INTEGER / 2 ** UNIT_SHIFT.t!);
    throw new InputError(`expected ${what} to be at most ${maxTiB}t, got '${text}'`);
  }
  return bytes;
}

/** Formats bytes in the largest binary unit that divides it exactly: 1024 -> "1k", 1536 -> "1536". */
export function formatSize(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes === 0) return String(bytes);
  for (const unit of ['t', 'g', 'm', 'k']) {
    const unitBytes = 2 ** UNIT_SHIFT[unit]!;
    if (bytes % unitBytes === 0) return `${bytes / unitBytes}${unit}`;
  }
  return String(bytes);
}
