// Checks on what a user hands to run/exec (env, workdir, hostname, argv, network), as
// "expected X, got Y" naming the flag, and the merge of image defaults with overrides.
import { InputError } from '../errors.js';
import { DEFAULT_SEARCH_PATH } from '../util/find-executable.js';
import { DEFAULT_NETWORK, validateNetworkName } from './network/names.js';
import type { NetworkMode } from './types.js';

/** PATH a container gets when neither the image nor the user sets one (Docker's default). */
export const DEFAULT_PATH = `PATH=${DEFAULT_SEARCH_PATH}`;

/** Throws InputError unless every entry is KEY=VALUE with a non-empty key and no NUL byte. */
export function validateEnv(env: string[]): void {
  for (const entry of env) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || entry.includes('\0')) {
      throw new InputError(`expected --env to be KEY=VALUE, got '${entry}'`, {
        hint: 'e.g. --env FOO=bar (an empty value is FOO=)',
      });
    }
  }
}

/** Image env overridden by `overrides`, key by key, order kept (overridden keys stay in place, new ones appended). */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const merged = new Map<string, string>();
  for (const entry of [...base, ...overrides]) {
    const eq = entry.indexOf('=');
    if (eq > 0) merged.set(entry.slice(0, eq), entry);
  }
  return [...merged.values()];
}

/** Throws InputError unless `workdir` is an absolute path without NUL. */
export function validateWorkdir(workdir: string): void {
  if (!workdir.startsWith('/') || workdir.includes('\0')) {
    throw new InputError(`expected --workdir to be an absolute path, got '${workdir}'`, {
      hint: 'e.g. --workdir /tmp',
    });
  }
}

const LABEL = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** Throws InputError unless `hostname` is RFC 1123 (dot-separated labels) and fits the kernel's 64 bytes. */
export function validateHostname(hostname: string): void {
  if (hostname.length === 0 || hostname.length > 64 || !hostname.split('.').every((l) => LABEL.test(l))) {
    throw new InputError(
      `expected --hostname to be 1-64 characters of letters, digits, '-' and '.', got '${hostname}'`,
      {
        hint: 'each dot-separated part must start and end with a letter or digit, e.g. --hostname bench-1',
      },
    );
  }
}

/** Throws InputError unless argv is non-empty and free of NUL bytes. */
export function validateArgs(args: string[], imageRef: string): void {
  if (args.length === 0) {
    throw new InputError(`no command to run: image ${imageRef} has neither Cmd nor Entrypoint`, {
      hint: `name one after the image, e.g. \`isobench run ${imageRef} sh\``,
    });
  }
  const bad = args.find((a) => a.includes('\0'));
  if (bad !== undefined) throw new InputError(`expected arguments without NUL bytes, got ${JSON.stringify(bad)}`);
}

/** Parses --network none|host; throws InputError for anything else (see parseNetworkChoice for bridges). */
export function parseNetworkMode(value: string): NetworkMode {
  if (value === 'none' || value === 'host') return value;
  throw new InputError(`expected --network to be none or host, got '${value}'`, {
    hint: 'use --network none (only loopback, the default) or --network host',
  });
}

/** A --network value: a mode, and for 'bridge' the network's name ('bridge' is the default network). */
export interface NetworkChoice {
  mode: NetworkMode;
  network?: string;
}

/** Parses --network none|host|bridge|NAME; throws InputError for a value that is no network name. */
export function parseNetworkChoice(value: string): NetworkChoice {
  if (value === 'none' || value === 'host') return { mode: value };
  if (value === DEFAULT_NETWORK) return { mode: 'bridge', network: value };
  try {
    validateNetworkName(value);
  } catch {
    throw new InputError(`expected --network to be none, host, bridge or a network name, got '${value}'`, {
      hint: 'list networks with `isobench network ls`; create one with `isobench network create NAME`',
    });
  }
  return { mode: 'bridge', network: value };
}
