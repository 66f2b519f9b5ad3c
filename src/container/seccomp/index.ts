// The seccomp filter a container gets: isobench's default profile, none (`seccomp=unconfined`),
// or a profile in Docker's JSON format, resolved for the container's capabilities and this host's
// kernel, then compiled to the BPF program the helper loads last before execve.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { EnvironmentError, InputError } from '../../errors.js';
import { type CompiledFilter, compileFilter } from './compile.js';
import { defaultSeccompProfile } from './default-profile.js';
import { PROFILE_MAX_BYTES, parseDockerSeccompProfile } from './docker-profile.js';
import type { SeccompProfile } from './profile.js';
import { parseKernelRelease, resolveProfile } from './resolve.js';

export type { CompiledFilter } from './compile.js';

/** Which filter a container runs under (Docker's `--security-opt seccomp=...`). */
export type SeccompChoice = { kind: 'default' } | { kind: 'unconfined' } | { kind: 'profile'; path: string };

/** The compiled default filter per capability set: compiling takes a few ms, every run needs it. */
const defaultFilters = new Map<string, CompiledFilter>();

function compileFor(profile: SeccompProfile, capabilities: readonly string[]): CompiledFilter {
  // Docker's archMap names for the hosts the compiler handles; other hosts are refused below.
  const ctx = { capabilities: new Set(capabilities), kernel: parseKernelRelease(os.release()), arch: 'amd64' };
  try {
    return compileFilter(resolveProfile(profile, ctx));
  } catch (error) {
    if (error instanceof RangeError) throw new InputError(`seccomp profile: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Reads a Docker JSON profile; every problem is an InputError naming the file. */
export function readSeccompProfile(file: string): SeccompProfile {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > PROFILE_MAX_BYTES)
      throw new InputError(`seccomp profile ${file}: larger than ${PROFILE_MAX_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read the seccomp profile ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
      hint: 'give the path of a readable JSON file, or seccomp=unconfined',
    });
  }
  return parseDockerSeccompProfile(text, file);
}

/**
 * The filter for `choice` and a container with `capabilities` (CAP_* names); undefined when
 * unconfined.
 * @throws InputError for a bad profile; EnvironmentError on a host that is not x86_64.
 */
export function seccompFilterFor(choice: SeccompChoice, capabilities: readonly string[]): CompiledFilter | undefined {
  if (choice.kind === 'unconfined') return undefined;
  if (process.arch !== 'x64') {
    throw new EnvironmentError(`seccomp filters are compiled for x86_64 hosts only, not ${process.arch}`, {
      hint: 'run with --security-opt seccomp=unconfined on this host',
    });
  }
  if (choice.kind === 'profile') return compileFor(readSeccompProfile(choice.path), capabilities);
  const key = [...capabilities].sort().join(',');
  let filter = defaultFilters.get(key);
  if (!filter) {
    filter = compileFor(defaultSeccompProfile(), capabilities);
    defaultFilters.set(key, filter);
  }
  return filter;
}

/** The filter as a container's state dir keeps it for `exec`: JSON of the flags and the program in hex. */
export function serializeStoredFilter(filter: CompiledFilter): string {
  return `${JSON.stringify({ flags: filter.flags, program: filter.bytes.toString('hex') })}\n`;
}

/** Reads what serializeStoredFilter wrote; undefined when the file is absent (an unconfined container). */
export function readStoredFilter(file: string): { bytes: Buffer; flags: number } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const stored = JSON.parse(text) as { flags?: unknown; program?: unknown };
  if (
    typeof stored.flags !== 'number' ||
    typeof stored.program !== 'string' ||
    !/^(?:[0-9a-f]{16})+$/.test(stored.program)
  ) {
    throw new EnvironmentError(`the container's seccomp filter ${file} is damaged`, {
      hint: 'remove the container and run it again',
    });
  }
  return { bytes: Buffer.from(stored.program, 'hex'), flags: stored.flags };
}
