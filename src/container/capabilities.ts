// The capability set a container gets: Docker's default (moby oci/caps/defaults.go), changed by
// --cap-add/--cap-drop as Docker's TweakCapabilities does. The C helper keeps the default list
// too (src/container/helper/caps.c, used when a config names no set); the seccomp profile's
// capability conditions and the peers' OCI configs are resolved against the set chosen here.
import { InputError } from '../errors.js';

/** Docker's default capability set. */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;

/** Every capability Linux 5.9+ knows, indexed by its number (linux/capability.h). */
export const ALL_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

export type CapabilityName = (typeof ALL_CAPS)[number];

/** The `ALL` keyword of --cap-add/--cap-drop. */
const ALL = 'ALL';

/**
 * A Docker capability name as given ("net_raw", "CAP_NET_RAW", "all") in canonical form
 * ("CAP_NET_RAW", "ALL"). @throws InputError naming `flag` for a name Linux does not know.
 */
export function normalizeCapName(given: string, flag: string): CapabilityName | typeof ALL {
  const upper = given.trim().toUpperCase();
  if (upper === ALL) return ALL;
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if ((ALL_CAPS as readonly string[]).includes(name)) return name as CapabilityName;
  throw new InputError(`unknown capability '${given}' in ${flag}`, {
    hint: "expected a Linux capability name such as NET_RAW or CAP_SYS_PTRACE (see capabilities(7)), or 'ALL'",
  });
}

/**
 * The set a container gets for `add` and `drop` (Docker's rules, moby's TweakCapabilities):
 * `--cap-add ALL` gives every capability but the dropped ones; otherwise `--cap-drop ALL` starts
 * from nothing; otherwise the default set minus the dropped ones. Then the added ones join, so a
 * name both dropped and added is kept. Sorted by capability number.
 * @throws InputError for an unknown name.
 */
export function resolveCapabilities(add: readonly string[] = [], drop: readonly string[] = []): CapabilityName[] {
  const adds = add.map((c) => normalizeCapName(c, '--cap-add'));
  const drops = drop.map((c) => normalizeCapName(c, '--cap-drop'));
  const set = new Set<CapabilityName>();
  if (adds.includes(ALL)) {
    for (const cap of ALL_CAPS) if (!drops.includes(cap)) set.add(cap);
  } else {
    if (!drops.includes(ALL)) for (const cap of DOCKER_DEFAULT_CAPS) if (!drops.includes(cap)) set.add(cap);
    for (const cap of adds) if (cap !== ALL) set.add(cap);
  }
  return ALL_CAPS.filter((cap) => set.has(cap));
}

/** The set as the bit mask capset(2) and /proc/PID/status (CapEff) use. */
export function capabilityMask(caps: readonly CapabilityName[]): bigint {
  let mask = 0n;
  for (const cap of caps) mask |= 1n << BigInt(ALL_CAPS.indexOf(cap));
  return mask;
}
