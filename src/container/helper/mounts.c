/* The container's own mounts, after /proc, /dev and /sys: bind mounts (host dirs and files, named
 * volumes) and tmpfs mounts, in config order (the caller puts parents first), and the read-only
 * root of --read-only. NOTE: every target is reached with safepath.c's walks, so a symlink in the
 * image (to `/`, or `../../..`) fails the mount instead of leading it outside the rootfs. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The per-mount flags a remount must keep: dropping nosuid/nodev/noexec would loosen it. */
unsigned long mount_flags_to_keep(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) < 0) return 0;
  return (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
         (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0);
}

/* A bind mount's flags change only by remount; MS_BIND limits it to this one mount. */
static void remount_readonly(const char *path, const char *shown) {
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mount_flags_to_keep(path), NULL) < 0)
    fail("mount", errno, "remount `%s` read-only", shown);
}

static void mount_bind(int rootfd, const struct bind_mount *b) {
  /* Resolved once: the stat and the mount see the same host object (the TS side resolved the
   * path too; this fd pins what it named). */
  int src = open(b->source, O_PATH | O_CLOEXEC);
  if (src < 0) fail("open", errno, "bind source `%s`", b->source);
  struct stat st;
  if (fstat(src, &st) < 0) fail("fstat", errno, "bind source `%s`", b->source);
  int fd;
  if (S_ISDIR(st.st_mode)) {
    fd = open_dir_beneath(rootfd, b->target, 1, NULL);
  } else {
    /* A file bind needs a file to land on: create it, refusing a symlink in its place. */
    const char *name;
    int parent = open_dir_beneath(rootfd, b->target, 1, &name);
    fd = parent < 0 ? -1 : openat(parent, name, O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (parent >= 0) close(parent);
  }
  if (fd < 0) fail("openat", errno, "bind target `%s` in the rootfs (a symlink, or not a directory?)", b->target);
  /* MS_BIND|MS_REC: the source with everything mounted below it. */
  char from[64];
  snprintf(from, sizeof from, "%s", fd_path(src));
  if (mount(from, fd_path(fd), NULL, MS_BIND | MS_REC, NULL) < 0)
    fail("mount", errno, "bind `%s` on `%s`", b->source, b->target);
  close(fd);
  close(src);
  if (!b->readonly) return;
  /* Our fd still names the dir under the new mount: look the target up again to land on the bind. */
  int top = S_ISDIR(st.st_mode) ? open_dir_beneath(rootfd, b->target, 0, NULL) : open_path_beneath(rootfd, b->target);
  if (top < 0) fail("openat", errno, "bind target `%s` in the rootfs", b->target);
  remount_readonly(fd_path(top), b->target);
  close(top);
}

static void mount_tmpfs(int rootfd, const struct bind_mount *m) {
  unsigned long flags;
  char data[256];
  const char *why;
  if (tmpfs_options(m->tmpfs, &flags, data, sizeof data, &why) < 0)
    fail("mount", EINVAL, "tmpfs on `%s`: options `%s`: %s", m->target, m->tmpfs, why);
  int fd = open_dir_beneath(rootfd, m->target, 1, NULL);
  if (fd < 0) fail("openat", errno, "tmpfs target `%s` in the rootfs (a symlink, or not a directory?)", m->target);
  if (mount("tmpfs", fd_path(fd), "tmpfs", flags, data) < 0)
    fail("mount", errno, "mount `tmpfs` on `%s` (%s)", m->target, m->tmpfs);
  close(fd);
}

void mounts_apply(int rootfd, const struct config *cfg) {
  for (size_t i = 0; i < cfg->n_binds; i++) {
    if (cfg->binds[i].tmpfs) mount_tmpfs(rootfd, &cfg->binds[i]);
    else mount_bind(rootfd, &cfg->binds[i]);
  }
}

/* --read-only: after pivot_root, only the root mount itself turns read-only; /proc, /dev, /sys,
 * tmpfs mounts and volumes are mounts of their own and stay as they are (Docker's meaning). */
void mounts_readonly_root(const struct config *cfg) {
  if (cfg->readonly_rootfs) remount_readonly("/", "/");
}
