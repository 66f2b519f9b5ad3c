// The host side of a bridge network, through iproute2's `ip` (not on the launch path: bridges are
// made once per network). Bridges are host-only: an address for the gateway, no forwarding out of
// them and no IPv6, set per device (those sysctls go away with the device; nothing host-wide is
// changed), and no NAT rule anywhere.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { EnvironmentError, HelperError } from '../../errors.js';
import { DEFAULT_SEARCH_PATH, findExecutable } from '../../util/find-executable.js';
import { formatIpv4, gatewayOf, parseCidr, type Subnet } from './subnet.js';

const run = promisify(execFile);

let ipBinary: string | undefined;

async function ip(args: string[]): Promise<string> {
  ipBinary ??=
    (await findExecutable('ip', `${process.env.PATH ?? ''}:${DEFAULT_SEARCH_PATH}`)) ??
    (() => {
      throw new EnvironmentError('`ip` (iproute2) not found: bridge networks need it', {
        hint: 'run the set-up command: bash scripts/setup.sh',
      });
    })();
  try {
    return (await run(ipBinary, args, { maxBuffer: 16 << 20 })).stdout;
  } catch (error) {
    const err = error as { stderr?: string; message: string };
    const detail = (err.stderr ?? err.message).trim().split('\n')[0];
    throw new HelperError('ip', `\`ip ${args.join(' ')}\` failed: ${detail}`, 0, { cause: error });
  }
}

/** One link as `ip -j link` reports it (the fields used here). */
export interface HostLink {
  ifname: string;
  ifalias?: string;
  /** Set for a bridge port: its bridge. */
  master?: string;
}

/** Links of a kind ('bridge', 'veth'), or all of them. */
export async function listLinks(type?: 'bridge' | 'veth'): Promise<HostLink[]> {
  const out = await ip(['-j', 'link', 'show', ...(type ? ['type', type] : [])]);
  return out.trim() === '' ? [] : (JSON.parse(out) as HostLink[]);
}

/** True when a link of that name exists. */
export async function linkExists(name: string): Promise<boolean> {
  return (await listLinks()).some((l) => l.ifname === name);
}

/**
 * Every IPv4 subnet the host routes or holds an address in (all routing tables), except default
 * routes: a new network must overlap none of them.
 */
export async function hostSubnets(): Promise<Array<{ subnet: Subnet; dev: string }>> {
  const routes = JSON.parse(await ip(['-j', '-4', 'route', 'show', 'table', 'all'])) as Array<{
    dst: string;
    dev?: string;
  }>;
  const addrs = JSON.parse(await ip(['-j', '-4', 'addr', 'show'])) as Array<{
    ifname: string;
    addr_info?: Array<{ local: string; prefixlen: number }>;
  }>;
  const found: Array<{ subnet: Subnet; dev: string }> = [];
  for (const route of routes) {
    const subnet = route.dst === 'default' ? undefined : parseCidr(route.dst);
    if (subnet && subnet.prefix > 0) found.push({ subnet, dev: route.dev ?? '' });
  }
  for (const link of addrs) {
    for (const a of link.addr_info ?? []) {
      const subnet = parseCidr(`${a.local}/${a.prefixlen}`);
      if (subnet && subnet.prefix > 0) found.push({ subnet, dev: link.ifname });
    }
  }
  return found;
}

/** Writes a per-device sysctl (proc(5), /proc/sys/net/ipv{4,6}/conf/DEV/...). */
function deviceSysctl(family: 'ipv4' | 'ipv6', dev: string, key: string, value: string): void {
  try {
    writeFileSync(`/proc/sys/net/${family}/conf/${dev}/${key}`, value);
  } catch (error) {
    // A kernel without IPv6 has no ipv6 conf to turn off.
    if (family === 'ipv4' || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Creates bridge `name` with alias `alias`, the subnet's gateway address, up. Per device: no IPv4
 * forwarding of what arrives on it (even should the host enable ip_forward, a container's packet
 * to another subnet is dropped, never routed off the machine) and IPv6 off. On failure the bridge
 * is deleted again.
 */
export async function createBridge(name: string, alias: string, subnet: Subnet): Promise<void> {
  await ip(['link', 'add', 'name', name, 'type', 'bridge']);
  try {
    await ip(['link', 'set', 'dev', name, 'alias', alias]);
    deviceSysctl('ipv4', name, 'forwarding', '0');
    deviceSysctl('ipv6', name, 'disable_ipv6', '1');
    await ip(['addr', 'add', `${formatIpv4(gatewayOf(subnet))}/${subnet.prefix}`, 'dev', name]);
    await ip(['link', 'set', 'dev', name, 'up']);
  } catch (error) {
    await deleteLink(name).catch(() => undefined);
    throw error;
  }
}

/** Deletes a link (a bridge takes its ports' membership with it); one already gone is fine. */
export async function deleteLink(name: string): Promise<void> {
  if (!(await linkExists(name))) return;
  await ip(['link', 'del', 'dev', name]);
}
