// The environment fingerprint stored with every result: what hardware, kernel and tools produced the figures.
// NOTE: the results schema embeds EnvironmentFingerprintSchema; bump FINGERPRINT_VERSION on incompatible changes.

import { z } from 'zod';

export const FINGERPRINT_VERSION = 1;

const nullableString = z.string().nullable();

export const ToolVersionsSchema = z.object({
  'qemu-system-x86_64': nullableString,
  'qemu-img': nullableString,
  runc: nullableString,
  crun: nullableString,
  podman: nullableString,
  skopeo: nullableString,
  umoci: nullableString,
  busybox: nullableString,
  debootstrap: nullableString,
});

export const EnvironmentFingerprintSchema = z.object({
  fingerprintVersion: z.literal(FINGERPRINT_VERSION),
  /** ISO 8601 time of collection. */
  collectedAt: z.iso.datetime(),
  hostname: z.string(),
  os: z.object({
    platform: z.string(),
    distro: z.string(),
    release: z.string(),
    codename: z.string(),
    arch: z.string(),
  }),
  /** uname -r. */
  kernelRelease: z.string(),
  cpu: z.object({
    manufacturer: z.string(),
    brand: z.string(),
    family: z.string(),
    model: z.string(),
    stepping: z.string(),
    /** Logical CPUs. */
    cores: z.number().int().nonnegative(),
    physicalCores: z.number().int().nonnegative(),
    /** Base clock in GHz as reported (0 when the hypervisor hides it). */
    speedGhz: z.number().nonnegative(),
    /** The CPU advertises VMX/SVM (si.cpu().virtualization). */
    virtualizationFlag: z.boolean(),
  }),
  memory: z.object({
    totalBytes: z.number().int().nonnegative(),
    availableBytes: z.number().int().nonnegative(),
    swapTotalBytes: z.number().int().nonnegative(),
    /** KSM and THP settings change what memory figures mean. */
    ksmRun: z.number().int().nullable(),
    thpEnabled: nullableString,
    thpDefrag: nullableString,
  }),
  system: z.object({
    manufacturer: z.string(),
    model: z.string(),
    /** This host is itself a virtual machine. */
    virtual: z.boolean(),
    virtualHost: nullableString,
  }),
  cgroup: z.object({
    /** null when no cgroup filesystem is mounted. */
    mode: z.enum(['v1', 'v2', 'hybrid']).nullable(),
    v1Controllers: z.array(z.string()),
    v2Controllers: z.array(z.string()),
  }),
  /**
   * Whether this host is itself a VM or a container (src/host/virtualization.ts). Absent in
   * fingerprints recorded before isobench looked; `system.virtual` alone misses nested guests.
   */
  virtualization: z
    .object({
      hypervisorFlag: z.boolean().nullable(),
      dmiSysVendor: nullableString,
      dmiProductName: nullableString,
      detectVirtVm: nullableString,
      detectVirtContainer: nullableString,
      host: z.enum(['guest', 'bare-metal', 'unknown']),
      hypervisor: nullableString,
    })
    .optional(),
  kvm: z.object({
    /** open(/dev/kvm, O_RDWR) succeeded; false means VMs run under TCG. */
    available: z.boolean(),
    /** kvm_intel, kvm_amd, kvm_pvm, or null. */
    module: nullableString,
  }),
  /** First line of each tool's version output; null when it is not installed. */
  tools: ToolVersionsSchema,
  /** process.version, e.g. "v20.19.0". */
  nodeVersion: z.string(),
  isobench: z.object({
    version: z.string(),
    gitCommit: nullableString,
    gitDirty: z.boolean().nullable(),
  }),
});

/** JSON-serialisable: plain strings, numbers, booleans and nulls only. */
export type EnvironmentFingerprint = z.infer<typeof EnvironmentFingerprintSchema>;
export type ToolVersions = z.infer<typeof ToolVersionsSchema>;
