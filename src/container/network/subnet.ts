// IPv4 subnets of host-only networks: parsing "10.213.0.0/24", overlap tests, the gateway and the
// container addresses inside one, and the default subnet pick. Pure: no I/O.
import { InputError } from '../../errors.js';

/** An IPv4 network: its first address as a 32-bit unsigned number, and the prefix length. */
export interface Subnet {
  base: number;
  prefix: number;
}

/** Private ranges (RFC 1918) a network may use: its addresses can never be someone else's on the Internet. */
const PRIVATE_RANGES: readonly Subnet[] = [
  { base: 0x0a000000, prefix: 8 },
  { base: 0xac100000, prefix: 12 },
  { base: 0xc0a80000, prefix: 16 },
];

/** The range the default networks come from, one /24 each. */
export const DEFAULT_POOL: Subnet = { base: 0x0ad50000, prefix: 16 }; // 10.213.0.0/16

/** Smallest and largest prefix a network may have (/29 leaves 5 container addresses). */
export const MIN_PREFIX = 16;
export const MAX_PREFIX = 29;

/** Parses a dotted quad; undefined unless it is exactly four decimal bytes. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** True when `address` lies inside `subnet`. */
export function contains(subnet: Subnet, address: number): boolean {
  return (address & mask(subnet.prefix)) >>> 0 === subnet.base;
}

/** Two subnets overlap when the larger one contains the base of the smaller one. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  const wider = a.prefix <= b.prefix ? a : b;
  const narrower = wider === a ? b : a;
  return contains(wider, narrower.base);
}

export function formatSubnet(subnet: Subnet): string {
  return `${formatIpv4(subnet.base)}/${subnet.prefix}`;
}

/** Parses "A.B.C.D/N" as it appears in host routes (no checks beyond the syntax); undefined otherwise. */
export function parseCidr(text: string): Subnet | undefined {
  const slash = text.indexOf('/');
  const address = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  const prefixText = slash < 0 ? '32' : text.slice(slash + 1);
  if (address === undefined || !/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) return undefined;
  const prefix = Number(prefixText);
  return { base: (address & mask(prefix)) >>> 0, prefix };
}

/**
 * Checks `--subnet`: a network address (no host bits) inside a private range, /16 to /29.
 * @throws InputError naming the value and the fix.
 */
export function parseSubnetFlag(text: string): Subnet {
  const subnet = parseCidr(text);
  const hint = 'give a private IPv4 network such as 10.213.7.0/24 (prefix /16 to /29)';
  if (!subnet || !text.includes('/')) {
    throw new InputError(`expected --subnet to be an IPv4 network A.B.C.D/N, got '${text}'`, { hint });
  }
  if (subnet.prefix < MIN_PREFIX || subnet.prefix > MAX_PREFIX) {
    throw new InputError(`expected --subnet's prefix to be /${MIN_PREFIX} to /${MAX_PREFIX}, got '${text}'`, { hint });
  }
  if (formatIpv4(subnet.base) !== text.slice(0, text.indexOf('/'))) {
    throw new InputError(`expected --subnet to be a network address, got '${text}' (host bits set)`, {
      hint: `use ${formatSubnet(subnet)}`,
    });
  }
  if (!PRIVATE_RANGES.some((range) => contains(range, subnet.base) && subnet.prefix >= range.prefix)) {
    throw new InputError(`expected --subnet inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, got '${text}'`, {
      hint,
    });
  }
  return subnet;
}

/** The gateway (the bridge's own address): the first host address. */
export function gatewayOf(subnet: Subnet): number {
  return subnet.base + 1;
}

/** Addresses containers may get, in order: after the gateway, before the broadcast address. */
export function containerAddresses(subnet: Subnet): number[] {
  const size = 2 ** (32 - subnet.prefix);
  const out: number[] = [];
  for (let i = 2; i < size - 1; i++) out.push(subnet.base + i);
  return out;
}

/**
 * The first /24 of DEFAULT_POOL, starting at `start` (0-255) and wrapping, that overlaps none of
 * `taken`; undefined when all 256 do. Different state roots start at different places, so that
 * two of them creating their default network at once rarely pick the same one.
 */
export function pickDefaultSubnet(taken: readonly Subnet[], start: number): Subnet | undefined {
  for (let i = 0; i < 256; i++) {
    const candidate: Subnet = { base: DEFAULT_POOL.base + ((start + i) % 256) * 256, prefix: 24 };
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  return undefined;
}
