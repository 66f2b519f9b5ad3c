// The pure parts of bridge networks: subnets, link names, -p values, the hosts file, and the
// helper config records of a container on a bridge.
import { describe, expect, it } from 'vitest';
import { serializeHelperConfig } from '../../src/container/launch/helper-protocol.js';
import {
  bridgeAlias,
  bridgeName,
  networkOfAlias,
  validateNetworkName,
  vethName,
} from '../../src/container/network/names.js';
import { parsePublish, parsePublishList } from '../../src/container/network/publish.js';
import { hostsText, type NetworkRecord } from '../../src/container/network/store.js';
import {
  containerAddresses,
  formatIpv4,
  formatSubnet,
  overlaps,
  parseCidr,
  parseSubnetFlag,
  pickDefaultSubnet,
} from '../../src/container/network/subnet.js';
import type { ContainerSpec } from '../../src/container/types.js';
import { parseNetworkChoice } from '../../src/container/validate-request.js';

const cidr = (text: string) => parseCidr(text)!;

describe('subnets', () => {
  it('parses, formats and tests overlap', () => {
    expect(formatSubnet(cidr('10.213.7.9/24'))).toBe('10.213.7.0/24');
    expect(parseCidr('10.213.7.0/33')).toBeUndefined();
    expect(parseCidr('10.213.07.0/24')).toBeUndefined();
    expect(overlaps(cidr('10.213.0.0/16'), cidr('10.213.9.0/24'))).toBe(true);
    expect(overlaps(cidr('10.213.9.0/24'), cidr('10.213.0.0/16'))).toBe(true);
    expect(overlaps(cidr('10.213.9.0/24'), cidr('10.213.10.0/24'))).toBe(false);
    expect(overlaps(cidr('192.168.1.0/24'), cidr('192.168.1.77/32'))).toBe(true);
  });

  it('accepts only private network addresses /16 to /29 for --subnet', () => {
    expect(formatSubnet(parseSubnetFlag('172.20.0.0/16'))).toBe('172.20.0.0/16');
    expect(() => parseSubnetFlag('8.8.8.0/24')).toThrow(
      "expected --subnet inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, got '8.8.8.0/24'",
    );
    expect(() => parseSubnetFlag('10.213.7.1/24')).toThrow('host bits set');
    expect(() => parseSubnetFlag('10.0.0.0/8')).toThrow("prefix to be /16 to /29, got '10.0.0.0/8'");
    expect(() => parseSubnetFlag('10.213.7.0')).toThrow('expected --subnet to be an IPv4 network A.B.C.D/N');
  });

  it('gives containers every address but network, gateway and broadcast', () => {
    expect(containerAddresses(cidr('10.213.7.0/29')).map(formatIpv4)).toEqual([
      '10.213.7.2',
      '10.213.7.3',
      '10.213.7.4',
      '10.213.7.5',
      '10.213.7.6',
    ]);
  });

  it('picks the first free /24 of 10.213.0.0/16 from a start, wrapping', () => {
    expect(formatSubnet(pickDefaultSubnet([], 5)!)).toBe('10.213.5.0/24');
    expect(formatSubnet(pickDefaultSubnet([cidr('10.213.5.0/24'), cidr('10.213.6.0/23')], 5)!)).toBe('10.213.8.0/24');
    expect(formatSubnet(pickDefaultSubnet([cidr('10.213.255.0/24')], 255)!)).toBe('10.213.0.0/24');
    expect(pickDefaultSubnet([cidr('10.0.0.0/8')], 0)).toBeUndefined();
  });
});

describe('names', () => {
  it('derives 15-byte link names per root and network, and reads its own aliases back', () => {
    const a = bridgeName('/var/lib/isobench', 'web');
    expect(a).toMatch(/^ib[0-9a-f]{13}$/);
    expect(bridgeName('/other/root', 'web')).not.toBe(a);
    expect(vethName('0123456789abcdef'.repeat(4))).toBe('iv0123456789abc');
    const alias = bridgeAlias('/r', 'web');
    expect(networkOfAlias('/r', alias)).toBe('web');
    expect(networkOfAlias('/other', alias)).toBeUndefined();
    expect(networkOfAlias('/r', undefined)).toBeUndefined();
  });

  it('refuses bad network names and the mode words', () => {
    for (const bad of ['', 'none', 'host', '-x', 'a/b', 'x'.repeat(64)]) {
      expect(() => validateNetworkName(bad)).toThrow(`invalid network name '${bad}'`);
    }
    expect(() => validateNetworkName('web_1.test-net')).not.toThrow();
  });

  it('reads --network as a mode or a network', () => {
    expect(parseNetworkChoice('none')).toEqual({ mode: 'none' });
    expect(parseNetworkChoice('host')).toEqual({ mode: 'host' });
    expect(parseNetworkChoice('bridge')).toEqual({ mode: 'bridge', network: 'bridge' });
    expect(parseNetworkChoice('web')).toEqual({ mode: 'bridge', network: 'web' });
    expect(() => parseNetworkChoice('a b')).toThrow(
      "expected --network to be none, host, bridge or a network name, got 'a b'",
    );
  });
});

describe('-p', () => {
  it("parses Docker's syntax, on 127.0.0.1 by default", () => {
    expect(parsePublish('8080:80')).toEqual({
      protocol: 'tcp',
      hostIp: '127.0.0.1',
      hostPort: 8080,
      containerPort: 80,
    });
    expect(parsePublish('127.0.0.2:5353:53/udp')).toEqual({
      protocol: 'udp',
      hostIp: '127.0.0.2',
      hostPort: 5353,
      containerPort: 53,
    });
  });

  it('refuses non-loopback addresses, bad ports and protocols, and duplicates', () => {
    expect(() => parsePublish('0.0.0.0:80:80')).toThrow(
      "host address to be a loopback address (127.x.y.z), got '0.0.0.0:80:80'",
    );
    expect(() => parsePublish('192.0.2.2:80:80')).toThrow('loopback');
    expect(() => parsePublish('80')).toThrow("expected -p [127.0.0.1:]HOSTPORT:CPORT[/tcp|udp], got '80'");
    expect(() => parsePublish('0:80')).toThrow("host port to be a port 1-65535, got '0:80'");
    expect(() => parsePublish('80:70000')).toThrow('container port');
    expect(() => parsePublish('80:80/sctp')).toThrow("protocol to be tcp or udp, got '80:80/sctp'");
    expect(() => parsePublishList(['80:80', '127.0.0.1:80:81'])).toThrow('publishes 127.0.0.1:80/tcp twice');
    expect(parsePublishList(['80:80', '80:80/udp'])).toHaveLength(2);
  });
});

describe('hosts file', () => {
  it('lists loopback, the gateway and each container by name and hostname, by address', () => {
    const record: NetworkRecord = {
      schemaVersion: 1,
      name: 'web',
      bridge: 'ib0',
      subnet: '10.213.7.0/24',
      gateway: '10.213.7.1',
      createdAt: '',
    };
    const text = hostsText(record, [
      { address: '10.213.7.10', containerId: 'b', name: 'db', hostname: 'db' },
      { address: '10.213.7.2', containerId: 'a', name: 'app', hostname: '0123456789ab' },
    ]);
    expect(text.split('\n').slice(1)).toEqual([
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      '10.213.7.1\tgateway',
      '10.213.7.2\tapp 0123456789ab',
      '10.213.7.10\tdb',
      '',
    ]);
  });
});

describe('helper config of a bridged container', () => {
  it('adds net_veth and one publish record per port after network=bridge', () => {
    const spec: ContainerSpec = {
      id: 'c1',
      lowerDirs: [],
      upperDir: '/c/upper',
      workDir: '/c/work',
      rootfsDir: '/c/rootfs',
      args: ['true'],
      env: [],
      cwd: '/',
      uid: 0,
      gid: 0,
      additionalGids: [],
      hostname: 'box',
      network: 'bridge',
      bridge: {
        network: 'web',
        bridge: 'ib0123',
        hostVeth: 'iv0123',
        address: '10.213.7.2',
        prefixLength: 24,
        gateway: '10.213.7.1',
        hostsFile: '/n/hosts',
        resolvConfFile: '/n/resolv.conf',
      },
      ports: [{ protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80 }],
      limits: {},
    };
    const text = serializeHelperConfig(spec, { mode: { kind: 'attached', stdio: 'pipe' }, cgroupProcsFiles: [] })
      .toString('utf8')
      .split('\0');
    const at = text.indexOf('network');
    expect(text.slice(at, at + 6)).toEqual([
      'network',
      'bridge',
      'net_veth',
      'iv0123 ib0123 10.213.7.2 24 10.213.7.1',
      'publish',
      'tcp 127.0.0.1 8080 80',
    ]);
  });
});
