// A container's place on a bridge network: an address leased from the subnet, the name of the host
// end of its veth pair, and the hosts/resolv.conf files bound into it. The C helper makes the veth
// pair and configures eth0 (net.c); this is the bookkeeping around it, under the network's lock.
import { existsSync } from 'node:fs';
import { ConflictError } from '../../errors.js';
import type { RootLayout } from '../../paths.js';
import { withLock } from '../../util/lock.js';
import { createBridge } from './host-links.js';
import { bridgeAlias, vethName } from './names.js';
import { networkLock, openNetwork, refreshHosts } from './networks.js';
import {
  deleteLease,
  isLeaseLive,
  type Lease,
  networkPaths,
  readLeases,
  readNetwork,
  tryCreateLease,
} from './store.js';
import { containerAddresses, formatIpv4, parseCidr, parseIpv4 } from './subnet.js';

/** What the helper needs to put a container on its network (helper-protocol.ts serializes it). */
export interface BridgeAttachment {
  network: string;
  bridge: string;
  /** Host end of the veth pair; the container's end is eth0. */
  hostVeth: string;
  address: string;
  prefixLength: number;
  gateway: string;
  /** Bound read-only on /etc/hosts and /etc/resolv.conf. */
  hostsFile: string;
  resolvConfFile: string;
}

/** Who asks for an address. */
export interface AttachingContainer {
  id: string;
  name: string;
  hostname: string;
}

/**
 * Leases the first free address of network `name` (the default network is made on first use)
 * and adds the container to the network's hosts file. A stale lease (its container gone or
 * stopped) is taken over. Precondition: the container's dir exists (a lease of a container
 * without one is stale).
 * @throws NotFoundError (no such network), ConflictError (no free address).
 */
export async function attachContainer(
  layout: RootLayout,
  container: AttachingContainer,
  name: string,
): Promise<BridgeAttachment> {
  const record = await openNetwork(layout, name);
  const subnet = parseCidr(record.subnet)!;
  const paths = networkPaths(layout, name);
  return withLock(layout.locks, networkLock(name), async () => {
    // The bridge is gone after a reboot (the state root may outlive it): make it again.
    if (!existsSync(`/sys/class/net/${record.bridge}`)) {
      await createBridge(record.bridge, bridgeAlias(layout.root, name), subnet);
    }
    const held = new Map(readLeases(paths).map((l) => [l.address, l]));
    for (const address of containerAddresses(subnet).map(formatIpv4)) {
      const lease: Lease = { address, containerId: container.id, name: container.name, hostname: container.hostname };
      const current = held.get(address);
      if (current && isLeaseLive(layout, current)) continue;
      if (current) deleteLease(paths, address, current.containerId);
      if (!tryCreateLease(paths, lease)) continue;
      refreshHosts(layout, record);
      return {
        network: name,
        bridge: record.bridge,
        hostVeth: vethName(container.id),
        address,
        prefixLength: subnet.prefix,
        gateway: record.gateway,
        hostsFile: paths.hosts,
        resolvConfFile: paths.resolvConf,
      };
    }
    throw new ConflictError(`network ${name} (${record.subnet}) has no free address left`, {
      hint: 'remove stopped containers (`isobench gc`), or create a network with a larger --subnet',
    });
  });
}

/** Gives the address back and rewrites the hosts file; a lease already gone or taken over is left alone. */
export async function detachContainer(
  layout: RootLayout,
  containerId: string,
  name: string,
  address: string,
): Promise<void> {
  if (parseIpv4(address) === undefined) return;
  const paths = networkPaths(layout, name);
  if (!existsSync(paths.dir)) return;
  await withLock(layout.locks, networkLock(name), async () => {
    deleteLease(paths, address, containerId);
    const record = readNetwork(layout, name);
    if (record) refreshHosts(layout, record);
  });
}

/** Releases a container's address, if it had one (its record names the network and address). */
export function releaseContainerAddress(
  layout: RootLayout,
  record: { id: string; networkName?: string; address?: string },
): Promise<void> {
  if (record.networkName === undefined || record.address === undefined) return Promise.resolve();
  return detachContainer(layout, record.id, record.networkName, record.address);
}
