// Names of a network and of the kernel links made for it. Interface names are at most 15 bytes
// (IFNAMSIZ - 1) and host-wide, while networks are per state root: a bridge's name is a hash of
// root and network name, and its alias says whose it is, so `gc` of one root never touches
// another root's bridges.
import { createHash } from 'node:crypto';
import { InputError } from '../../errors.js';

/** The network `run --network bridge` uses, created on first use (Docker's name). */
export const DEFAULT_NETWORK = 'bridge';

/** Names that select a mode, not a network. */
const RESERVED = new Set(['none', 'host', 'default']);

const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** Throws InputError unless `name` is 1-63 chars of [a-zA-Z0-9_.-] starting with a letter or digit, not a mode. */
export function validateNetworkName(name: string): void {
  if (!NAME_PATTERN.test(name) || RESERVED.has(name)) {
    throw new InputError(`invalid network name '${name}'`, {
      hint: 'use 1-63 characters of letters, digits, _ . - starting with a letter or digit (not none, host or default)',
    });
  }
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** 12 hex digits naming a state root in link aliases. */
export function rootTag(root: string): string {
  return hash(root).slice(0, 12);
}

/** The bridge of network `name` in state root `root`: "ib" + 13 hex (15 bytes). */
export function bridgeName(root: string, name: string): string {
  return `ib${hash(root, name).slice(0, 13)}`;
}

/** The alias set on a bridge: "isobench <root tag> <network name>". */
export function bridgeAlias(root: string, name: string): string {
  return `isobench ${rootTag(root)} ${name}`;
}

/** The network a bridge alias names when it belongs to `root`; undefined otherwise. */
export function networkOfAlias(root: string, alias: string | undefined): string | undefined {
  const prefix = `isobench ${rootTag(root)} `;
  return alias?.startsWith(prefix) ? alias.slice(prefix.length) : undefined;
}

/** The host end of a container's veth pair: "iv" + the first 13 hex digits of its id. */
export function vethName(containerId: string): string {
  return `iv${containerId.slice(0, 13)}`;
}
