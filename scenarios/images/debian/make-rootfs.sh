#!/usr/bin/env bash
# Makes rootfs.tar.gz for the debian recipe: debootstrap --variant=minbase bookworm from the Debian
# mirror this machine's apt sources already use (no mirror host is written in the project), then a
# tar with numeric owners and sorted names. Needs root and debootstrap; takes about 80 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out="$here/rootfs.tar.gz"
suite=${SUITE:-bookworm}

if [ "$(id -u)" -ne 0 ]; then
  echo "make-rootfs: debootstrap needs root: run this as root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "make-rootfs: debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }

# The first Debian archive URI in the apt sources (deb822 .sources files, then sources.list).
find_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Only stanzas for the main archive (not security, not third-party repos).
    uri=$(awk '
      BEGIN { RS=""; FS="\n" }
      {
        uris=""; suites=""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { suites = $i }
        }
        if (uris != "" && suites !~ /security/) { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$f")
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {
      for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit }
    }' "$f")
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
}

mirror=${MIRROR:-$(find_mirror)}
if [ -z "$mirror" ]; then
  echo "make-rootfs: no Debian mirror found in /etc/apt/sources.list(.d): set MIRROR=http://.../debian" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/isobench-rootfs.XXXXXX")
tmp_out="$out.tmp.$$"
cleanup() {
  # debootstrap may leave proc/sys mounted inside the target if it is interrupted.
  for m in "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev/pts" "$work/rootfs/dev"; do
    mountpoint -q "$m" 2>/dev/null && umount -l "$m" || true
  done
  rm -rf "$work" "$tmp_out"
}
trap cleanup EXIT INT TERM

echo "make-rootfs: debootstrap --variant=minbase $suite from $mirror"
start=$(date +%s)
debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  echo "make-rootfs: debootstrap failed (full log above)" >&2
  exit 1
}
# apt caches and device nodes do not belong in an image (the runtime provides /dev).
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*_Packages
find "$work/rootfs/dev" -mindepth 1 -delete

tar --numeric-owner --sort=name --xattrs --xattrs-include='security.capability' \
  -C "$work/rootfs" -czf "$tmp_out" .
mv -f "$tmp_out" "$out"
echo "make-rootfs: wrote $out ($(du -h "$out" | cut -f1)) in $(( $(date +%s) - start )) s"
