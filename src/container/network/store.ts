// A network's state under the root's networks/ dir: network.json (written atomically), one lease
// file per address in use (created with O_EXCL, so two concurrent runs can never get the same
// address), and the hosts and resolv.conf files every container on the network sees.
// NOTE: a lease is live only while its container is (see isLeaseLive): a crash leaves a stale
// lease, which the next allocation, `rm` or `gc` reclaims; nothing depends on it being deleted.
import {
  closeSync,
  existsSync,
  constants as fsConstants,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { IntegrityError } from '../../errors.js';
import type { RootLayout } from '../../paths.js';
import { isSameProcessAlive } from '../../util/process.js';
import { containerPaths, isContainerId, readRecord } from '../state.js';

export const NETWORK_SCHEMA_VERSION = 1;

/** network.json. */
export interface NetworkRecord {
  schemaVersion: typeof NETWORK_SCHEMA_VERSION;
  name: string;
  /** The Linux bridge (names.ts bridgeName). */
  bridge: string;
  /** "10.213.7.0/24". */
  subnet: string;
  /** The bridge's own address, the containers' default route. */
  gateway: string;
  createdAt: string;
}

/** What a lease file holds: who has the address. */
export interface Lease {
  address: string;
  containerId: string;
  /** Container name and hostname: the names /etc/hosts gives the address. */
  name: string;
  hostname: string;
}

export interface NetworkPaths {
  dir: string;
  record: string;
  leases: string;
  hosts: string;
  resolvConf: string;
}

export function networkPaths(layout: RootLayout, name: string): NetworkPaths {
  const dir = path.join(layout.networks, name);
  return {
    dir,
    record: path.join(dir, 'network.json'),
    leases: path.join(dir, 'leases'),
    hosts: path.join(dir, 'hosts'),
    resolvConf: path.join(dir, 'resolv.conf'),
  };
}

/** The record of network `name`, or undefined when there is none. @throws IntegrityError when unreadable. */
export function readNetwork(layout: RootLayout, name: string): NetworkRecord | undefined {
  const file = networkPaths(layout, name).record;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const r = JSON.parse(text) as Partial<NetworkRecord>;
  if (r.schemaVersion !== NETWORK_SCHEMA_VERSION || r.name !== name || typeof r.bridge !== 'string') {
    throw new IntegrityError(`${file}: not a network record (schema ${NETWORK_SCHEMA_VERSION})`, {
      hint: `remove the network with \`isobench network rm ${name}\``,
    });
  }
  return r as NetworkRecord;
}

/** Names of the networks with a record, sorted. */
export function listNetworkNames(layout: RootLayout): string[] {
  let names: string[];
  try {
    names = readdirSync(layout.networks);
  } catch {
    return [];
  }
  return names.filter((n) => existsSync(networkPaths(layout, n).record)).sort();
}

/** A container dir younger than this without state.json is being created: its lease is live. */
const YOUNG_DIR_MS = 60_000;

/** True while the lease's container exists and is being created or runs. */
export function isLeaseLive(layout: RootLayout, lease: Lease): boolean {
  if (!isContainerId(lease.containerId)) return false;
  const paths = containerPaths(layout.containers, lease.containerId);
  let record: ReturnType<typeof readRecord>;
  try {
    record = readRecord(paths);
  } catch {
    record = undefined; // torn or corrupt: judged by the dir's age, like a missing one
  }
  if (!record) {
    // No state.json yet (its creator is between mkdir and the first write), or the dir is gone.
    try {
      return Date.now() - statSync(paths.dir).mtimeMs < YOUNG_DIR_MS;
    } catch {
      return false;
    }
  }
  if (record.status === 'creating') return isSameProcessAlive(record.creatorPid, record.creatorStartTime);
  if (record.status === 'running') return isSameProcessAlive(record.pid, record.pidStartTime);
  return false;
}

/** Every lease of the network (unreadable files are skipped: a lease being written). */
export function readLeases(paths: NetworkPaths): Lease[] {
  let files: string[];
  try {
    files = readdirSync(paths.leases);
  } catch {
    return [];
  }
  const leases: Lease[] = [];
  for (const file of files) {
    try {
      const lease = JSON.parse(readFileSync(path.join(paths.leases, file), 'utf8')) as Lease;
      if (lease.address === file) leases.push(lease);
    } catch {
      // Created but not written yet (its writer holds the network lock), or torn by a crash.
    }
  }
  return leases;
}

/** Creates the lease file for `lease.address`; false when the address is taken (EEXIST). */
export function tryCreateLease(paths: NetworkPaths, lease: Lease): boolean {
  let fd: number;
  try {
    fd = openSync(path.join(paths.leases, lease.address), 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(lease)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Deletes the lease of `address` when `containerId` (if given) holds it; a missing one is fine. */
export function deleteLease(paths: NetworkPaths, address: string, containerId?: string): void {
  const file = path.join(paths.leases, address);
  if (containerId !== undefined) {
    try {
      if ((JSON.parse(readFileSync(file, 'utf8')) as Lease).containerId !== containerId) return;
    } catch {
      // Unreadable: only a lease being written is, and that is not ours to delete.
      return;
    }
  }
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The hosts file of a network: loopback names, the gateway, then one line per live container. */
export function hostsText(record: NetworkRecord, leases: readonly Lease[]): string {
  const lines = [
    `# isobench network ${record.name} (${record.subnet}): rewritten as containers start and go`,
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${record.gateway}\tgateway`,
  ];
  const sorted = [...leases].sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
  for (const lease of sorted) {
    const names = lease.hostname === lease.name ? lease.name : `${lease.name} ${lease.hostname}`;
    lines.push(`${lease.address}\t${names}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The resolv.conf of a network: no nameserver, since nothing may be asked off the machine. */
export function resolvConfText(record: NetworkRecord): string {
  return [
    `# isobench network ${record.name}: host-only, without a DNS server. The names of the`,
    '# containers on this network resolve through /etc/hosts.',
    'options ndots:0',
    '',
  ].join('\n');
}

/**
 * Replaces `file`'s content in place (same inode): containers see it through a bind mount, which
 * a rename would leave on the old file. Written first, then truncated, so a reader sees whole
 * lines of the old or the new text. Precondition: the caller holds the network's lock.
 */
export function rewriteInPlace(file: string, text: string): void {
  const bytes = Buffer.from(text);
  const fd = openSync(file, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW, 0o644);
  try {
    writeSync(fd, bytes, 0, bytes.length, 0);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}
