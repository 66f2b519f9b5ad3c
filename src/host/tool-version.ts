// Finds host tools on PATH and reads their version line, for the fingerprint and doctor.

import { execa } from 'execa';
import { findExecutable } from '../util/find-executable.js';

/** The external tools isobench drives or measures against, with the arguments that print their version. */
export const TOOL_VERSION_ARGS = {
  'qemu-system-x86_64': ['--version'],
  'qemu-img': ['--version'],
  runc: ['--version'],
  crun: ['--version'],
  podman: ['--version'],
  skopeo: ['--version'],
  umoci: ['--version'],
  // busybox has no --version applet; run bare, its first line is "BusyBox v1.35.0 (...) multi-call binary."
  busybox: [],
  debootstrap: ['--version'],
} as const satisfies Record<string, readonly string[]>;

export type ToolName = keyof typeof TOOL_VERSION_ARGS;

/**
 * First non-empty output line of `<tool> <version args>`, or null when the tool is not installed.
 * A tool that exists but fails or hangs (timeoutMs, default 3000) gives its first line anyway, or null.
 */
export async function readToolVersion(tool: ToolName, options: { timeoutMs?: number } = {}): Promise<string | null> {
  const executable = await findExecutable(tool);
  if (executable === null) return null;
  const result = await execa(executable, [...TOOL_VERSION_ARGS[tool]], {
    reject: false,
    timeout: options.timeoutMs ?? 3000,
    stdin: 'ignore',
    all: true,
    env: { LC_ALL: 'C' },
  });
  const line = (result.all ?? '').split('\n').find((text) => text.trim() !== '');
  return line === undefined ? null : line.trim();
}

/** Versions of every tool in TOOL_VERSION_ARGS, probed in parallel; null for a missing tool. */
export async function readToolVersions(options: { timeoutMs?: number } = {}): Promise<Record<ToolName, string | null>> {
  const names = Object.keys(TOOL_VERSION_ARGS) as ToolName[];
  const versions = await Promise.all(names.map((name) => readToolVersion(name, options)));
  return Object.fromEntries(names.map((name, index) => [name, versions[index] ?? null])) as Record<
    ToolName,
    string | null
  >;
}
