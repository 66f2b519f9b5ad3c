// The guest's /init: a busybox shell script that loads the modules, mounts the image disk, applies
// the run config (from the kernel command line; cgroup filesystems only when it asks for them),
// runs the workload with phase markers on the serial console, and powers the guest off. It runs
// from one of two roots: an initramfs (stock kernel: modules to load, the image disk mounted on
// /mnt and entered by chroot) or the image disk itself (a kernel built with every driver in: the
// kernel mounts /dev/vda as / and runs /.isobench/init). NOTE: the marker format is parsed by
// serial-parser.ts.

/** Where /init runs from: an initramfs, or the image disk mounted by the kernel as root. */
export type GuestRoot = 'initramfs' | 'disk';

/** The guest's own files on a disk root: visible to the workload (as /proc/1/root is from an initramfs), out of the image's way. */
export const DISK_GUEST_DIR = '.isobench';

/** Paths the init, the config fragment and the launcher use, per root. */
export interface GuestPaths {
  /** The busybox binary init and the launcher exec. */
  busybox: string;
  /** PATH for init's own applet calls. */
  path: string;
  /** Where the image's root is, as init sees it ('' when it is /). */
  image: string;
  /** The busybox the launcher execs once inside the image root. */
  busyboxInImage: string;
  /** The launcher script. */
  launcher: string;
}

/** The paths of each guest root. */
export const GUEST_PATHS: Record<GuestRoot, GuestPaths> = {
  // pid 1 stays in the initramfs; the workload, chrooted into /mnt, reaches its busybox via /proc/1/root.
  initramfs: {
    busybox: '/bin/busybox',
    path: '/bin',
    image: '/mnt',
    busyboxInImage: '/proc/1/root/bin/busybox',
    launcher: '/isobench/launch.sh',
  },
  disk: {
    busybox: `/${DISK_GUEST_DIR}/bin/busybox`,
    path: `/${DISK_GUEST_DIR}/bin`,
    image: '',
    busyboxInImage: `/${DISK_GUEST_DIR}/bin/busybox`,
    launcher: `/${DISK_GUEST_DIR}/launch.sh`,
  },
};

/**
 * Kernel parameters that make the image disk the root and our init its pid 1 (disk root only).
 * rw: the per-VM qcow2 overlay takes the writes; init remounts with noatime.
 */
export function diskRootParams(): string[] {
  return ['root=/dev/vda', 'rootfstype=ext4', 'rw', `init=/${DISK_GUEST_DIR}/init`];
}

/**
 * Runs in the image root as root (inside `chroot /mnt` from an initramfs, directly on a disk root),
 * from the guest's busybox. Args: UID GID WORKDIR CMD ARGS... It enters WORKDIR, finds CMD
 * in the image's PATH itself (busybox would run its own applet for a bare name like `echo`),
 * drops the shell's own variables, and lets `nsenter -S -G` drop to the user and exec.
 */
export function renderGuestLauncher(root: GuestRoot = 'initramfs'): string {
  return [
    'u=$1 g=$2',
    'cd -- "$3" || exit 126',
    'shift 3',
    'case $1 in',
    '*/*) p=$1 ;;',
    '*) p=; IFS=:',
    '  for d in $PATH; do [ -n "$d" ] || d=.; if [ -f "$d/$1" ] && [ -x "$d/$1" ]; then p=$d/$1; break; fi; done',
    '  unset IFS',
    '  [ -n "$p" ] || { echo "isobench: $1: executable file not found in \\$PATH" >&2; exit 127; } ;;',
    'esac',
    'shift',
    'unset SHLVL OLDPWD PWD',
    `exec ${GUEST_PATHS[root].busyboxInImage} nsenter -S "$u" -G "$g" -- "$p" "$@"`,
  ].join('\n');
}

/**
 * The /init script for `root`. The config it evaluates defines ISB_* variables and isb_run
 * (guest-config.ts); it is never written to a file, so the nonce it holds stays out of the
 * workload's reach on a disk root. NOTE: applets are called by name through symlinks in the
 * busybox dir; initramfs.ts INIT_APPLETS lists them.
 */
export function renderGuestInit(root: GuestRoot = 'initramfs'): string {
  const p = GUEST_PATHS[root];
  const img = p.image;
  const initramfs = root === 'initramfs';
  // A disk root is the image as built: a mount point may be missing (shell builtins when none is).
  const mountPoints = initramfs ? '' : 'for d in /proc /sys /dev /tmp; do [ -d $d ] || mkdir $d; done\n';
  const loadModules = initramfs
    ? `while read -r m; do
  insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
done < /lib/modules/load-order
`
    : '';
  const loadNetModules = initramfs
    ? `  while read -r m; do
    insmod "/lib/modules/$m.ko" || fail "insmod $m failed"
  done < /lib/modules/load-order-net
`
    : '';
  const mountImage = initramfs
    ? `i=0
while [ ! -b /dev/vda ]; do
  i=$((i + 1))
  [ $i -le 1000 ] || fail "no /dev/vda after 10 s"
  usleep 10000
done
mount -t ext4 -o noatime /dev/vda /mnt || fail "cannot mount the image disk /dev/vda"
mkdir -p /mnt/proc /mnt/sys /mnt/dev /mnt/tmp
mount -t proc proc /mnt/proc
`
    : `# The kernel mounted the disk rw with relatime: noatime keeps reads from writing to the overlay.
mount -o remount,noatime / || fail "cannot remount the root disk noatime"
`;
  const devMounts = initramfs ? 'mount -t devtmpfs dev /mnt/dev\n' : '';
  // A kernel without ACPI (the minimal one) cannot power the machine off; a reset can always be
  // done, and QEMU runs with -no-reboot, so it exits on it just the same.
  const halt = initramfs ? 'poweroff -f' : 'reboot -f';
  return `#!${p.busybox} sh
# isobench guest init (generated by src/vm/guest-init.ts, ${root} root)
export PATH=${p.path}
${mountPoints}mount -t proc proc /proc
read t_init _ < /proc/uptime
ISB_NONCE=none
fail() {
  echo "ISOBENCH-ERROR $ISB_NONCE $*"
  echo "ISOBENCH-EXIT $ISB_NONCE 125"
  sync
  ${halt}
  exit 1
}
cfg=$(sed -n 's/.*isobench\\.cfg=\\([A-Za-z0-9+/=]*\\).*/\\1/p' /proc/cmdline)
cfg=$(echo "$cfg" | base64 -d) || fail "cannot decode isobench.cfg from the kernel command line"
eval "$cfg"
unset cfg
echo "ISOBENCH-PHASE $ISB_NONCE init $t_init"
mount -t devtmpfs dev /dev
${loadModules}ip link set lo up
if [ "$ISB_NET" = user ]; then
${loadNetModules}  # QEMU user networking: fixed addresses, no DHCP round trip.
  ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2 ||
    fail "cannot configure eth0"
fi
${mountImage}# The run's nonce travels on the kernel command line: hide it from the workload (its /proc/cmdline
# and the kernel log), so a workload cannot forge the phase and exit markers.
mount --bind /dev/null ${img}/proc/cmdline
dmesg -c >/dev/null 2>&1 || true
mount -t sysfs sys ${img}/sys
${devMounts}mkdir -p ${img}/dev/pts ${img}/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts ${img}/dev/pts
mount -t tmpfs -o mode=1777 shm ${img}/dev/shm
# Cgroups for the workload (ISB_CGROUPS, guest-config.ts): none unless asked.
cg=${img}/sys/fs/cgroup
case $ISB_CGROUPS in
v2)
  # As systemd on a unified host: cgroup2 alone with systemd's mount options, every controller
  # enabled from the root down to system.slice, pid 1 in init.scope; the workload runs in the leaf
  # system.slice/isobench-workload.service (cgroup2 lets no cgroup hold processes and children).
  mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 $cg ||
    fail "cannot mount cgroup2 at /sys/fs/cgroup"
  on=
  for c in $(cat $cg/cgroup.controllers); do on="$on +$c"; done
  mkdir $cg/init.scope $cg/system.slice $cg/system.slice/isobench-workload.service &&
    echo "$on" > $cg/cgroup.subtree_control && echo "$on" > $cg/system.slice/cgroup.subtree_control &&
    echo $$ > $cg/init.scope/cgroup.procs || fail "cannot set up the cgroup2 tree (controllers:$on)" ;;
v1)
  # As systemd's legacy layout: a tmpfs of v1 hierarchies, cpu,cpuacct and net_cls,net_prio
  # co-mounted (with a symlink per controller), name=systemd, and no cgroup2. A hierarchy is
  # mounted when the kernel has every controller in it (/proc/cgroups).
  mount -t tmpfs -o nosuid,nodev,noexec,mode=0755 cgroup $cg || fail "cannot mount a tmpfs at /sys/fs/cgroup"
  have=" $(awk '$4 == 1 { printf "%s ", $1 }' /proc/cgroups)"
  for h in cpuset cpu,cpuacct blkio memory devices freezer net_cls,net_prio perf_event hugetlb pids rdma misc; do
    ok=1
    for c in $(echo $h | sed 's/,/ /g'); do case $have in *" $c "*) ;; *) ok=0 ;; esac; done
    [ $ok = 1 ] || continue
    mkdir $cg/$h && mount -t cgroup -o nosuid,nodev,noexec,$h cgroup $cg/$h || fail "cannot mount the v1 $h hierarchy"
    case $h in *,*) for c in $(echo $h | sed 's/,/ /g'); do ln -s $h $cg/$c; done ;; esac
  done
  mkdir $cg/systemd && mount -t cgroup -o nosuid,nodev,noexec,none,name=systemd cgroup $cg/systemd ||
    fail "cannot mount the v1 name=systemd hierarchy" ;;
esac
hostname "$ISB_HOSTNAME"
# User: "", name, uid, name:group, uid:gid; names resolve in the image's /etc/passwd and /etc/group.
uspec=\${ISB_USER%%:*}
gspec=
case $ISB_USER in *:*) gspec=\${ISB_USER#*:} ;; esac
ISB_UID=0
ISB_GID=0
if [ -n "$uspec" ]; then
  case $uspec in
  *[!0-9]*)
    line=$(awk -F: -v k="$uspec" '$1 == k { print $3 ":" $4; exit }' ${img}/etc/passwd 2>/dev/null)
    [ -n "$line" ] || fail "user '$uspec' not found in the image's /etc/passwd"
    ISB_UID=\${line%%:*}
    ISB_GID=\${line#*:} ;;
  *)
    ISB_UID=$uspec
    line=$(awk -F: -v k="$uspec" '$3 == k { print $4; exit }' ${img}/etc/passwd 2>/dev/null)
    ISB_GID=\${line:-0} ;;
  esac
fi
if [ -n "$gspec" ]; then
  case $gspec in
  *[!0-9]*)
    line=$(awk -F: -v k="$gspec" '$1 == k { print $3; exit }' ${img}/etc/group 2>/dev/null)
    [ -n "$line" ] || fail "group '$gspec' not found in the image's /etc/group"
    ISB_GID=$line ;;
  *) ISB_GID=$gspec ;;
  esac
fi
mkdir -p "${img}$ISB_WORKDIR" || fail "cannot create the working directory $ISB_WORKDIR"
ISB_LAUNCH=$(cat ${p.launcher})
read t_ready _ < /proc/uptime
echo "ISOBENCH-PHASE $ISB_NONCE ready $t_ready"
if [ "$ISB_CGROUPS" = v2 ]; then
  # A subshell moves itself ("0": the writer) into the leaf, then runs the workload there.
  (echo 0 > $cg/system.slice/isobench-workload.service/cgroup.procs && isb_run) < /dev/null
else
  isb_run < /dev/null
fi
code=$?
echo "ISOBENCH-EXIT $ISB_NONCE $code"
sync
${halt}
`;
}
