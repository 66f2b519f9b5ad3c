#!/usr/bin/env bash
# isobench set-up: installs what is missing (Debian packages, npm dependencies), builds the
# TypeScript and the C helper, and stages host files the shipped recipes need. Idempotent:
# a second run on a set-up machine installs nothing and takes a few seconds.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: isobench's runtime needs root (namespaces, mounts, cgroups): run this as root" >&2
  exit 1
fi

# Debian packages: the VM target (qemu, the guest's kernel via apt, initramfs tools), the minimal
# guest kernel's source and build dependencies, the image builder (busybox-static, debootstrap),
# peers measured side by side (runc, crun, podman), archive round-trip tools (skopeo, umoci), the
# headers canvas (charts) compiles against, clang with its libFuzzer runtime (the test suite
# fuzzes the helper's config parser), and postgresql (the history tests run their own server
# from a temp dir; the system one stays off), and the real workloads' servers and load generators
# (the workload scenario runs them natively too: nginx, redis, wrk, redis-benchmark, fio, sysbench,
# iperf3, stress-ng).
packages=(
  qemu-system-x86 qemu-utils busybox-static e2fsprogs erofs-utils cpio xz-utils zstd kmod
  linux-source-6.1 bc bison flex libelf-dev libssl-dev
  runc crun podman skopeo umoci debootstrap iproute2 util-linux attr
  build-essential pkg-config python3 hyperfine strace clang libclang-rt-dev
  libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev
  postgresql
  nginx-light redis-server redis-tools wrk fio sysbench iperf3 stress-ng
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
# The VM target fetches the guest kernel with `apt-get download`: it needs fresh package lists.
if [ ${#missing[@]} -gt 0 ] || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -1)" ]; then
  echo "setup: apt-get update"
  apt-get update -qq || echo "setup: apt-get update reported errors (unreachable extra sources?); continuing" >&2
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm dependencies: reinstall only when the lock file changed since the last install.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.isobench-lock-hash ] || [ "$(cat node_modules/.isobench-lock-hash)" != "$lock_hash" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.isobench-lock-hash
fi

echo "setup: building"
npm run --silent build

# The busybox and probe recipes copy the host's static busybox (and the probe) from their context.
for dir in scenarios/images/busybox scenarios/images/probe; do
  install -m 0755 /bin/busybox "$dir/busybox"
done
install -m 0755 build/isobench-probe scenarios/images/probe/isobench-probe

# The debian recipe's rootfs (the base of the real-software recipes: nginx, redis, ...): debootstrap
# takes minutes and the mirror changes daily, so one rootfs is kept in the shared cache, keyed by
# the script that makes it, and copied into the recipe dir. ISOBENCH_SKIP_DEBIAN=1 skips it.
if [ "${ISOBENCH_SKIP_DEBIAN:-0}" != 1 ]; then
  cache=${ISOBENCH_CACHE:-/var/cache/isobench}
  key=$(sha256sum scenarios/images/debian/make-rootfs.sh | cut -c1-16)
  cached="$cache/debian/rootfs-${SUITE:-bookworm}-$key.tar.gz"
  if [ ! -s "$cached" ]; then
    echo "setup: debian rootfs (debootstrap, a few minutes)"
    rm -f scenarios/images/debian/rootfs.tar.gz
    bash scenarios/images/debian/make-rootfs.sh
    mkdir -p "$cache/debian"
    cp scenarios/images/debian/rootfs.tar.gz "$cached.tmp.$$" && mv -f "$cached.tmp.$$" "$cached"
  fi
  cmp -s "$cached" scenarios/images/debian/rootfs.tar.gz || install -m 0644 "$cached" scenarios/images/debian/rootfs.tar.gz
fi

# The minimal guest kernel (vm-images/minimal.yaml), built from source into the cache shared by
# every state root (ISOBENCH_CACHE, default /var/cache/isobench): minutes the first time, a cache
# hit afterwards. ISOBENCH_SKIP_VM_KERNEL=1 skips it on hosts that never run the VM target.
if [ "${ISOBENCH_SKIP_VM_KERNEL:-0}" != 1 ]; then
  echo "setup: minimal guest kernel"
  bin/isobench vm kernel build
fi

echo "setup: done ($(bin/isobench --version))"
