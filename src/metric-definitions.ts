// What each metric covers on each target, and the words for each startup phase: the one table
// the measuring code cites (targets/, suite/measures/) and the report's Method section prints.
// NOTE: when a target's clock or memory reading changes, change its line here in the same commit;
// the report states these sentences as facts about every run it shows.

import type { MetricName, TargetKind } from './vocabulary.js';

/** What one metric covers: a sentence for every target, and where a target differs, its own. */
export interface MetricDefinition {
  /** What the figure is, the same on every target (one sentence, no final full stop). */
  common: string;
  /** What it covers on this target: the clock's start and end, or the processes and pages counted. */
  targets: Partial<Record<TargetKind, string>>;
}

const launchToReady = "from the start of the target's launch to the probe's ready line reaching the host";
const exitKnown = "from the start of the target's launch to the moment the host learns the workload's exit status";
const pinnedCommon =
  "the host memory an instance pins, read from /proc/meminfo once N instances are ready, over a baseline taken when two readings agree, less the harness's own change; the marginal cost of one more instance is the slope of a line fitted over every iteration at every N";

/**
 * Per metric and target: what the clock covers (time), what is counted (memory, disk), or what
 * reports the figure (io, cpu). Metrics absent here are described by METRICS[..].description alone.
 */
export const METRIC_DEFINITIONS: Partial<Record<MetricName, MetricDefinition>> = {
  'startup.ready': {
    common: launchToReady,
    targets: {
      native: 'spawn of the probe process, to its ready line on stdout',
      container:
        'isobench run: helper spawn, namespaces, cgroup join, overlay mount of the image layers, /dev, pivot_root, exec of the probe, to its ready line',
      runc: 'overlay mount of the image layers (the same per-instance work as isobench), then runc run, to the ready line; the runtime alone is a phase',
      crun: 'overlay mount of the image layers (the same per-instance work as isobench), then crun run in its own mount namespace, to the ready line; the runtime alone is a phase',
      podman:
        "podman run of the image already in podman's store (its own overlay mount, conmon and runc), to the ready line",
      vm: 'QEMU spawn with the kernel, initramfs, base disk and accelerator prepared before the clock (the VM dir and state file and the per-VM disk overlay made at launch are phases), boot, guest init, to the ready line on the serial console',
    },
  },
  'startup.exit': {
    common: exitKnown,
    targets: {
      native: 'waitpid of the probe process',
      container: "the monitor's exit report, sent before the overlay is unmounted",
      runc: "the runtime reports the workload's exit (its run command returns the status, or its state turns stopped)",
      crun: "the runtime reports the workload's exit (its run command returns the status, or its state turns stopped)",
      podman: "podman reports the workload's exit status",
      vm: "arrival of the guest's nonce-tagged exit marker on the serial console, before the guest syncs and powers off",
    },
  },
  teardown: {
    common: 'from the exit status being known to every resource of the instance released',
    targets: {
      native: 'the probe process reaped (nothing else to release)',
      container: 'overlay unmount with its sync of the upper dir, cgroup removal, state removal, monitor exit',
      runc: 'runc delete (cgroup, state) and the overlay unmount with its sync',
      crun: 'crun delete (cgroup, state) and the overlay unmount with its sync',
      podman: 'podman cleanup: conmon exit, container removal, its overlay unmount',
      vm: 'guest sync and poweroff, QEMU exit, removal of the VM dir and its per-VM disk overlay',
    },
  },
  'memory.instance': {
    common:
      "anonymous + shmem PSS of the instance's host processes (unique pages plus their share); file-backed pages are in memory.pss_file",
    targets: {
      native: 'the probe process tree',
      container: "the container's monitor and every process of the workload tree",
      runc: 'the runc run process tree (runtime and workload)',
      crun: 'the crun run process tree (runtime and workload)',
      podman: 'the podman process tree and conmon with the workload under it',
      vm: 'the QEMU process: guest RAM it touched (anonymous or memfd shmem) and its own heap',
    },
  },
  'memory.pss_file': {
    common:
      'file-backed PSS of the same processes: binaries, libraries and mapped files, shared with anything else mapping them',
    targets: {
      vm: 'the QEMU process: its binary, libraries and the mapped kernel file (the guest holds its own copy of the kernel in guest RAM)',
    },
  },
  'memory.host_pinned': {
    common: pinnedCommon,
    targets: {},
  },
  'disk.image': {
    common: 'stored size of what an instance starts from, counted once however many instances use it',
    targets: {
      native: 'the probe binary and the files it reads',
      container: 'the image layers as unpacked for the overlay',
      runc: 'the image layers as unpacked for the overlay',
      crun: 'the image layers as unpacked for the overlay',
      podman: "the image in podman's store",
      vm: 'kernel, initramfs and base disk',
    },
  },
  'disk.image_own': {
    common: 'disk.image without what every image on the host shares',
    targets: { vm: 'initramfs and base disk, without the kernel every VM image on the host boots' },
  },
  'disk.instance': {
    common: 'disk one instance writes beyond the image',
    targets: {
      native: 'its scratch directory',
      container: 'its overlay upper dir',
      runc: 'its overlay upper dir',
      crun: 'its overlay upper dir',
      podman: 'its container layer',
      vm: 'its qcow2 overlay (guest writes plus qcow2 metadata)',
    },
  },
  'io.write_throughput': {
    common: "reported by the probe inside the target: sequential writes and fsync to the instance's writable storage",
    targets: { vm: 'the guest page cache and virtio-blk to the qcow2 overlay on the host' },
  },
  'io.randwrite_throughput': {
    common: "reported by the probe inside the target: random 4 KiB writes and fsync to the instance's writable storage",
    targets: { vm: 'the guest page cache and virtio-blk to the qcow2 overlay on the host' },
  },
  'cpu.time': {
    common: 'compute step time reported by the probe from its own clock',
    targets: { vm: 'the guest clock' },
  },
};

/**
 * Startup phases in words. A phase is a mark in ns from launch; the report shows the time from the
 * previous mark to this one, so each label says what happens up to the mark.
 */
export const PHASE_LABELS: Readonly<Record<string, string>> = {
  hostPrepareNs: 'host preparation',
  overlayMountNs: 'overlay mount of the image layers',
  vmRecordNs: 'VM dir and state file',
  diskOverlayNs: 'per-VM disk overlay',
  runtimeStartNs: 'runtime start',
  qemuStartNs: 'QEMU spawn',
  kernelNs: 'QEMU set-up, to the guest clock start',
  initNs: 'guest kernel boot, to /init',
  helperStartNs: 'helper spawn',
  namespacesNs: 'namespaces (clone)',
  rootfsNs: 'root filesystem (overlay, /dev, pivot_root)',
  execNs: 'credentials and exec',
  readyNs: 'to the ready line',
  exitNs: 'to the exit status',
  teardownNs: 'teardown',
};

/**
 * Words for a phase mark: PHASE_LABELS, else the field name split into words without its unit
 * suffix ("guestSyncNs" -> "guest sync"), so a new phase never shows as a field name.
 */
export function describePhase(name: string): string {
  const known = PHASE_LABELS[name];
  if (known !== undefined) return known;
  const words = name
    .replace(/Ns$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .trim();
  return words === '' ? name : words;
}
