/* The container's root: overlayfs on rootfsDir, /proc /dev /sys and bind mounts below it,
 * pivot_root into it, then runc's masked and read-only paths. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Overlay option values cannot carry these (',' splits options, ':' splits lowerdir). */
static void check_overlay_path(const char *p) {
  if (strpbrk(p, ",:\\"))
    fail("mount", EINVAL, "overlay path `%s` contains one of `,:\\`, which overlayfs options cannot hold", p);
}

/* Length of the longest common parent dir of all overlay paths, with its trailing '/'. */
static size_t common_parent_len(const char **paths, size_t n) {
  size_t len = strlen(paths[0]);
  for (size_t i = 1; i < n; i++) {
    size_t j = 0;
    while (j < len && paths[i][j] && paths[i][j] == paths[0][j]) j++;
    len = j;
  }
  while (len > 0 && paths[0][len - 1] != '/') len--;
  return len;
}

static size_t build_overlay_data(char *buf, size_t cap, const char **lowers, size_t n_lowers, const char *upper,
                                 const char *work, size_t strip) {
  size_t len = 0;
  int n = snprintf(buf, cap, "lowerdir=");
  len = (size_t)n;
  for (size_t i = 0; i < n_lowers && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ":" : "", lowers[i] + strip);
  if (len < cap)
    len += (size_t)snprintf(buf + len, cap - len, ",upperdir=%s,workdir=%s", upper + strip, work + strip);
  return len;
}

void rootfs_mount_overlay(const struct config *cfg) {
  /* rprivate: nothing we mount may propagate back to the host's mount namespace. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail("mount", errno, "make `/` rprivate");
  /* FROM scratch: the empty rootfs dir itself serves as the one (empty) lower layer. */
  const char *scratch[1] = {cfg->rootfs};
  const char **lowers = cfg->lowers.len ? cfg->lowers.items : scratch;
  size_t n_lowers = cfg->lowers.len ? cfg->lowers.len : 1;
  size_t n_all = n_lowers + 2;
  const char **all = calloc(n_all, sizeof *all);
  if (!all) fail("malloc", ENOMEM, "overlay paths");
  for (size_t i = 0; i < n_lowers; i++) all[i] = lowers[i];
  all[n_lowers] = cfg->upper;
  all[n_lowers + 1] = cfg->work;
  for (size_t i = 0; i < n_all; i++) check_overlay_path(all[i]);

  long page = sysconf(_SC_PAGESIZE);
  size_t cap = 1 << 20;
  char *data = malloc(cap);
  if (!data) fail("malloc", ENOMEM, "overlay data");
  size_t len = build_overlay_data(data, cap, lowers, n_lowers, cfg->upper, cfg->work, 0);
  if (len >= (size_t)page) {
    /* Mount data is limited to one page: make the paths relative to their common parent,
     * which overlayfs resolves against our cwd at mount time. */
    size_t strip = common_parent_len(all, n_all);
    char parent[4096];
    snprintf(parent, sizeof parent, "%.*s", (int)strip, all[0]);
    if (strip > 1 && chdir(parent) < 0) fail("chdir", errno, "overlay common parent `%s`", parent);
    len = build_overlay_data(data, cap, lowers, n_lowers, cfg->upper, cfg->work, strip);
    if (len >= (size_t)page)
      fail("mount", E2BIG, "overlay on `%s`: %zu lower dirs need %zu bytes of mount options, over the %ld-byte page",
           cfg->rootfs, n_lowers, len, page);
  }
  /* mount overlayfs: the writable container root, lowers topmost first. NOTE: never `volatile`:
   * it makes overlayfs ignore sync/fsync/syncfs on the upper layer, and the probe's write+fsync
   * figures must be real. The sync its unmount costs is kept out of the timed path instead: the
   * monitor holds the mount namespace until the exit is reported (run.c, hold_mount_ns). */
  if (mount("overlay", cfg->rootfs, "overlay", 0, data) < 0)
    fail("mount", errno, "mount `overlay` on `%s` (lowerdir=%s%s, upperdir=%s, workdir=%s)", cfg->rootfs, lowers[0],
         n_lowers > 1 ? ":..." : "", cfg->upper, cfg->work);
  if (chdir("/") < 0) fail("chdir", errno, "`/`");
  free(data);
  free(all);
}

/* The magic link naming an fd: mounting on it hits exactly the dir we opened, never a symlink. */
const char *fd_path(int fd) {
  static char buf[64];
  snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
  return buf;
}

static void mount_at(int rootfd, const char *rel, const char *src, const char *type, unsigned long flags,
                     const char *data) {
  int fd = open_dir_beneath(rootfd, rel, 1, NULL);
  if (fd < 0) fail("openat", errno, "mount point `/%s` in the rootfs (a symlink or not a directory?)", rel);
  if (mount(src, fd_path(fd), type, flags, data) < 0) fail("mount", errno, "mount `%s` on `/%s`", src, rel);
  close(fd);
}

void rootfs_mount_specials(const struct config *cfg) {
  /* chdir lands on the overlay just mounted over rootfs; every walk starts from it. */
  if (chdir(cfg->rootfs) < 0) fail("chdir", errno, "`%s`", cfg->rootfs);
  int rootfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail("open", errno, "`%s`", cfg->rootfs);
  mount_at(rootfd, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  trace_mark("proc");
  devices_setup(rootfd, cfg->shm_size);
  trace_mark("dev");
  mount_at(rootfd, "sys", "sysfs", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
  trace_mark("sys");
  mounts_apply(rootfd, cfg);
  close(rootfd);
}

void rootfs_pivot(const char *rootfs) {
  if (chdir(rootfs) < 0) fail("chdir", errno, "`%s`", rootfs);
  /* pivot_root(".", "."): the old root ends up stacked under the new one (runc's trick)... */
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail("pivot_root", errno, "pivot_root `%s`", rootfs);
  /* ...and a lazy unmount of "." detaches it, so no host path stays reachable. */
  trace_mark("pivot_root");
  if (umount2(".", MNT_DETACH) < 0) fail("umount2", errno, "detach the old root");
  if (chdir("/") < 0) fail("chdir", errno, "`/`");
}

static const char *const MASKED_PATHS[] = {
    "/proc/acpi",        "/proc/kcore",     "/proc/keys",  "/proc/latency_stats",
    "/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware",     "/sys/devices/virtual/powercap",
};
static const char *const READONLY_PATHS[] = {
    "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

void rootfs_mask_paths(void) {
  struct stat st;
  for (size_t i = 0; i < sizeof MASKED_PATHS / sizeof MASKED_PATHS[0]; i++) {
    const char *p = MASKED_PATHS[i];
    if (stat(p, &st) < 0) {
      if (errno == ENOENT) continue;
      fail("stat", errno, "masked path `%s`", p);
    }
    /* Hide: an empty read-only tmpfs over a dir, /dev/null over a file. */
    if (S_ISDIR(st.st_mode)) {
      if (mount("tmpfs", p, "tmpfs", MS_RDONLY, NULL) < 0) fail("mount", errno, "mount `tmpfs` on `%s`", p);
    } else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
      fail("mount", errno, "bind `/dev/null` on `%s`", p);
    }
  }
  trace_mark("masked");
  for (size_t i = 0; i < sizeof READONLY_PATHS / sizeof READONLY_PATHS[0]; i++) {
    const char *p = READONLY_PATHS[i];
    if (stat(p, &st) < 0) {
      if (errno == ENOENT) continue;
      fail("stat", errno, "read-only path `%s`", p);
    }
    /* Bind onto itself so it becomes a mount whose flags we can change... */
    if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) fail("mount", errno, "bind `%s` on itself", p);
    unsigned long keep = mount_flags_to_keep(p);
    /* ...then remount it read-only, keeping nosuid/nodev/noexec. */
    if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
      fail("mount", errno, "remount `%s` read-only", p);
  }
}
