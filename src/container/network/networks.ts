// The network verbs: create, remove, list and inspect host-only bridge networks of a state root,
// the default network made on first use, and gc of what a crash left (bridges without a record,
// stale leases). Creation and removal run under the root's `networks` lock, and every change of a
// network's leases under its own lock, so run, rm and gc see one consistent state.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ConflictError, InputError, NotFoundError, requireRoot } from '../../errors.js';
import type { RootLayout } from '../../paths.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { withLock } from '../../util/lock.js';
import { createBridge, deleteLink, hostSubnets, listLinks } from './host-links.js';
import { bridgeAlias, bridgeName, DEFAULT_NETWORK, networkOfAlias, validateNetworkName } from './names.js';
import {
  deleteLease,
  hostsText,
  isLeaseLive,
  type Lease,
  listNetworkNames,
  NETWORK_SCHEMA_VERSION,
  type NetworkRecord,
  networkPaths,
  readLeases,
  readNetwork,
  resolvConfText,
  rewriteInPlace,
} from './store.js';
import {
  formatIpv4,
  formatSubnet,
  gatewayOf,
  overlaps,
  parseCidr,
  parseSubnetFlag,
  pickDefaultSubnet,
  type Subnet,
} from './subnet.js';

/** The lock every create/remove takes (one root's networks). */
const NETWORKS_LOCK = 'networks';

/** The lock of one network's leases and hosts file. */
export const networkLock = (name: string): string => `network-${name}`;

/** A network and the containers on it now. */
export interface NetworkInfo extends NetworkRecord {
  containers: Lease[];
}

/** Live leases of a network; stale ones are deleted when `sweep` (caller holds its lock). */
function liveLeases(layout: RootLayout, record: NetworkRecord, sweep: boolean): Lease[] {
  const paths = networkPaths(layout, record.name);
  const live: Lease[] = [];
  for (const lease of readLeases(paths)) {
    if (isLeaseLive(layout, lease)) live.push(lease);
    else if (sweep) deleteLease(paths, lease.address, lease.containerId);
  }
  return live;
}

/** Rewrites the network's hosts file from its live leases. Precondition: its lock is held. */
export function refreshHosts(layout: RootLayout, record: NetworkRecord): Lease[] {
  const live = liveLeases(layout, record, true);
  rewriteInPlace(networkPaths(layout, record.name).hosts, hostsText(record, live));
  return live;
}

/** What a new network's subnet must not overlap: the host's routes and addresses, and this root's networks. */
async function takenSubnets(layout: RootLayout): Promise<Array<{ subnet: Subnet; what: string }>> {
  const taken = (await hostSubnets()).map(({ subnet, dev }) => ({ subnet, what: `a route of ${dev || 'the host'}` }));
  for (const name of listNetworkNames(layout)) {
    const subnet = parseCidr(readNetwork(layout, name)?.subnet ?? '');
    if (subnet) taken.push({ subnet, what: `network ${name}` });
  }
  return taken;
}

function overlapError(subnet: Subnet, what: string): InputError {
  return new InputError(`subnet ${formatSubnet(subnet)} overlaps ${what}`, {
    hint: 'choose another private subnet with --subnet, or omit it to get a free one from 10.213.0.0/16',
  });
}

/**
 * Creates network `name` (its dir, bridge and record). Without `subnetText`, the first free /24 of
 * 10.213.0.0/16 (from a start that depends on the root). After the bridge has its address, the
 * host's routes are checked again: another root creating a network at the same moment could have
 * picked the same subnet; then ours is undone and (default subnets only) the next one tried.
 * @throws InputError (bad name or subnet, overlap), ConflictError (name taken).
 */
export async function createNetwork(layout: RootLayout, name: string, subnetText?: string): Promise<NetworkRecord> {
  requireRoot('creating a network');
  validateNetworkName(name);
  const wanted = subnetText === undefined ? undefined : parseSubnetFlag(subnetText);
  mkdirSync(layout.networks, { recursive: true });
  return withLock(layout.locks, NETWORKS_LOCK, async () => {
    if (readNetwork(layout, name)) {
      throw new ConflictError(`network ${name} already exists`, {
        hint: `remove it first with \`isobench network rm ${name}\`, or choose another name`,
      });
    }
    const start = createHash('sha256').update(layout.root).digest()[0] ?? 0;
    const bridge = bridgeName(layout.root, name);
    for (let attempt = 0; attempt < 4; attempt++) {
      const taken = await takenSubnets(layout);
      const subnet =
        wanted ??
        pickDefaultSubnet(
          taken.map((t) => t.subnet),
          start + attempt,
        );
      if (!subnet) {
        throw new InputError('no free /24 left in 10.213.0.0/16 for a new network', {
          hint: 'remove unused networks, or give one with --subnet',
        });
      }
      const clash = taken.find((t) => overlaps(t.subnet, subnet));
      if (clash) throw overlapError(subnet, clash.what);
      await deleteLink(bridge); // a leftover of a crashed create or rm of the same name
      await createBridge(bridge, bridgeAlias(layout.root, name), subnet);
      const raced = (await hostSubnets()).find((h) => h.dev !== bridge && overlaps(h.subnet, subnet));
      if (raced) {
        await deleteLink(bridge);
        if (wanted) throw overlapError(subnet, `a route of ${raced.dev}`);
        continue;
      }
      const record: NetworkRecord = {
        schemaVersion: NETWORK_SCHEMA_VERSION,
        name,
        bridge,
        subnet: formatSubnet(subnet),
        gateway: formatIpv4(gatewayOf(subnet)),
        createdAt: new Date().toISOString(),
      };
      const paths = networkPaths(layout, name);
      try {
        mkdirSync(paths.leases, { recursive: true });
        rewriteInPlace(paths.hosts, hostsText(record, []));
        rewriteInPlace(paths.resolvConf, resolvConfText(record));
        // Last: the record is what makes the network exist.
        await writeJsonAtomic(paths.record, record);
      } catch (error) {
        rmSync(paths.dir, { recursive: true, force: true });
        await deleteLink(bridge);
        throw error;
      }
      return record;
    }
    throw new ConflictError(`another process keeps taking the subnet picked for network ${name}`, {
      hint: 'try again, or give one with --subnet',
    });
  });
}

/** The network `name`, creating the default network on first use. @throws NotFoundError. */
export async function openNetwork(layout: RootLayout, name: string): Promise<NetworkRecord> {
  const record = readNetwork(layout, name);
  if (record) return record;
  if (name === DEFAULT_NETWORK) {
    try {
      return await createNetwork(layout, name);
    } catch (error) {
      // Created by a concurrent run meanwhile.
      const raced = readNetwork(layout, name);
      if (error instanceof ConflictError && raced) return raced;
      throw error;
    }
  }
  throw new NotFoundError(`no such network: ${name}`, {
    hint: `create it with \`isobench network create ${name}\`, or use --network bridge`,
  });
}

/**
 * Removes network `name`: refused while a container is on it. The record goes first (a rename to
 * tmp/), then the bridge: a crash between leaves a bridge without a record, which gc deletes.
 * @throws NotFoundError, ConflictError (in use).
 */
export async function removeNetwork(layout: RootLayout, name: string): Promise<void> {
  requireRoot('removing a network');
  await withLock(layout.locks, NETWORKS_LOCK, () =>
    withLock(layout.locks, networkLock(name), async () => {
      const record = readNetwork(layout, name);
      if (!record)
        throw new NotFoundError(`no such network: ${name}`, { hint: 'list them with `isobench network ls`' });
      const live = liveLeases(layout, record, false);
      if (live.length > 0) {
        throw new ConflictError(
          `network ${name} is in use by ${live.length} container(s): ${live.map((l) => l.name).join(', ')}`,
          { hint: 'stop and remove those containers first (`isobench rm -f NAME`)' },
        );
      }
      const trash = path.join(layout.tmp, `network-${process.pid}-${name}`);
      mkdirSync(layout.tmp, { recursive: true });
      renameSync(networkPaths(layout, name).dir, trash);
      await deleteLink(record.bridge);
      rmSync(trash, { recursive: true, force: true });
    }),
  );
}

/** Every network with its live containers, by name. */
export function listNetworks(layout: RootLayout): NetworkInfo[] {
  return listNetworkNames(layout).flatMap((name) => {
    const record = readNetwork(layout, name);
    return record ? [{ ...record, containers: liveLeases(layout, record, false) }] : [];
  });
}

/** One network with its live containers. @throws NotFoundError. */
export function inspectNetwork(layout: RootLayout, name: string): NetworkInfo {
  const record = readNetwork(layout, name);
  if (!record) throw new NotFoundError(`no such network: ${name}`, { hint: 'list them with `isobench network ls`' });
  return { ...record, containers: liveLeases(layout, record, false) };
}

/** What network gc did, one entry per item. */
export interface NetworkGcReport {
  removedBridges: string[];
  removedLeases: string[];
}

/**
 * Deletes this root's bridges that have no network record (a crashed create or rm) and the stale
 * leases of every network, rewriting their hosts files. Other roots' bridges are never touched.
 */
export async function collectNetworks(layout: RootLayout): Promise<NetworkGcReport> {
  const report: NetworkGcReport = { removedBridges: [], removedLeases: [] };
  // createNetwork makes the dir before any bridge: without it, this root never made one.
  if (!existsSync(layout.networks)) return report;
  await withLock(layout.locks, NETWORKS_LOCK, async () => {
    for (const link of await listLinks('bridge')) {
      const name = networkOfAlias(layout.root, link.ifalias);
      if (name === undefined || readNetwork(layout, name)?.bridge === link.ifname) continue;
      await deleteLink(link.ifname);
      report.removedBridges.push(`${link.ifname} (network ${name})`);
    }
    for (const name of listNetworkNames(layout)) {
      const record = readNetwork(layout, name);
      if (!record) continue;
      await withLock(layout.locks, networkLock(name), async () => {
        const before = readLeases(networkPaths(layout, name));
        const live = refreshHosts(layout, record);
        for (const lease of before) {
          if (!live.some((l) => l.address === lease.address)) {
            report.removedLeases.push(`${name} ${lease.address} (${lease.name})`);
          }
        }
      });
    }
  });
  return report;
}
