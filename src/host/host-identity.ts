// The host a run is filed under in the history: a stable machine identity, not the hostname (CI
// runners get random hostnames), hashed so the raw id never leaves the machine (machine-id(5):
// "should be considered confidential"), plus the user's label and runner class.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../errors.js';

/** Where the host key came from, most stable first. */
export type HostKeySource = 'machine-id' | 'dmi-product-uuid' | 'hostname';

export interface HostIdentity {
  /** 16 hex digits of sha256 over the machine id; the hostname itself when no machine id exists. */
  key: string;
  keySource: HostKeySource;
  /** What reports show: --host-label, else the hostname. */
  label: string;
  /** The runner class (--host-class, e.g. c6i.large), or null. */
  class: string | null;
}

export interface HostIdentityOptions {
  /** Root for /etc/machine-id; default "/". */
  fsRoot?: string;
  /** Root for /sys/class/dmi/id/product_uuid; default "/sys". */
  sysRoot?: string;
  /** Default os.hostname(). */
  hostname?: string;
  label?: string;
  hostClass?: string;
}

/** Hex digits of the hash kept in the key: 64 bits, collision-free for any fleet. */
const KEY_HEX_DIGITS = 16;
/** Separates isobench's hash of the id from any other program's (machine-id(5) asks for this). */
const KEY_CONTEXT = 'isobench host key v1\0';
const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@+/-]{0,63}$/;

/** The host identity of this machine (or of the roots given). Reads two small files. */
export async function readHostIdentity(options: HostIdentityOptions = {}): Promise<HostIdentity> {
  const hostname = options.hostname ?? os.hostname();
  const label = options.label === undefined ? hostname : parseHostLabel(options.label, '--host-label');
  const hostClass = options.hostClass === undefined ? null : parseHostLabel(options.hostClass, '--host-class');
  const machineId = await readId(path.join(options.fsRoot ?? '/', 'etc', 'machine-id'), /^[0-9a-f]{32}$/);
  if (machineId && !/^0+$/.test(machineId)) {
    return { key: hashId(machineId), keySource: 'machine-id', label, class: hostClass };
  }
  const uuid = await readId(
    path.join(options.sysRoot ?? '/sys', 'class', 'dmi', 'id', 'product_uuid'),
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  );
  // Firmware that leaves the UUID unset reports all zeros or all ones: not an identity.
  if (uuid && !/^[0-]+$/.test(uuid) && !/^[f-]+$/.test(uuid)) {
    return { key: hashId(uuid), keySource: 'dmi-product-uuid', label, class: hostClass };
  }
  return { key: hostname, keySource: 'hostname', label, class: hostClass };
}

/**
 * Checks a --host-label or --host-class value: 1 to 64 of letters, digits and . _ : @ + / -,
 * starting with a letter or digit (it is shown in tables and used as a filter).
 * @throws InputError naming the flag.
 */
export function parseHostLabel(text: string, flag: string): string {
  if (LABEL_PATTERN.test(text)) return text;
  throw new InputError(
    `expected ${flag} to be 1 to 64 letters, digits or . _ : @ + / - (starting with a letter or digit), got ${JSON.stringify(text)}`,
    { hint: flag === '--host-class' ? 'e.g. --host-class c6i.large' : 'e.g. --host-label ci-runner-3' },
  );
}

function hashId(id: string): string {
  return createHash('sha256').update(KEY_CONTEXT).update(id).digest('hex').slice(0, KEY_HEX_DIGITS);
}

/** The trimmed, lower-cased id in `file` when it matches `pattern`; null when absent or malformed. */
async function readId(file: string, pattern: RegExp): Promise<string | null> {
  try {
    const id = (await readFile(file, 'utf8')).trim().toLowerCase();
    return pattern.test(id) ? id : null;
  } catch {
    return null;
  }
}
