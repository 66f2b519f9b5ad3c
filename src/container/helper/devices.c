/* /dev for the container: a fresh tmpfs with the few device nodes Docker gives, ptys, shm, mqueue. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct {
  const char *name;
  unsigned major, minor;
} DEVICES[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const struct {
  const char *name, *target;
} LINKS[] = {
    {"fd", "/proc/self/fd"},         {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},   {"ptmx", "pts/ptmx"},
};

/* Paths below the new /dev tmpfs, reached through its fd (it holds nothing but what we make). */
static const char *dev_path(int devfd, const char *name) {
  static char buf[128];
  snprintf(buf, sizeof buf, "/proc/self/fd/%d/%s", devfd, name);
  return buf;
}

static void make_device(int devfd, const char *name, unsigned major, unsigned minor) {
  /* mknodat: the node itself; fchmodat afterwards because the umask trims mknod's mode. */
  if (mknodat(devfd, name, S_IFCHR | 0666, makedev(major, minor)) == 0) {
    if (fchmodat(devfd, name, 0666, 0) < 0) fail("fchmodat", errno, "`/dev/%s`", name);
    return;
  }
  if (errno != EPERM) fail("mknod", errno, "`/dev/%s`", name);
  /* No mknod right here: bind the host's node onto an empty file instead. */
  int fd = openat(devfd, name, O_CREAT | O_RDONLY | O_CLOEXEC, 0666);
  if (fd < 0) fail("openat", errno, "`/dev/%s`", name);
  close(fd);
  char host[64];
  snprintf(host, sizeof host, "/dev/%s", name);
  if (mount(host, dev_path(devfd, name), NULL, MS_BIND, NULL) < 0)
    fail("mount", errno, "bind `%s` on `/dev/%s`", host, name);
}

/* shm_size: bytes of the /dev/shm tmpfs (--shm-size), 0 for Docker's default of 64 MiB. */
void devices_setup(int rootfd, unsigned long long shm_size) {
  int fd = open_dir_beneath(rootfd, "dev", 1, NULL);
  if (fd < 0) fail("openat", errno, "mount point `/dev` in the rootfs (a symlink or not a directory?)");
  char at[64];
  snprintf(at, sizeof at, "/proc/self/fd/%d", fd);
  /* tmpfs /dev: the image's own /dev content stays hidden, as with Docker. */
  if (mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
    fail("mount", errno, "mount `tmpfs` on `/dev`");
  close(fd);
  /* A fresh lookup of "dev" crosses into the tmpfs just mounted. */
  int devfd = openat(rootfd, "dev", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (devfd < 0) fail("openat", errno, "`/dev`");
  for (size_t i = 0; i < sizeof DEVICES / sizeof DEVICES[0]; i++)
    make_device(devfd, DEVICES[i].name, DEVICES[i].major, DEVICES[i].minor);
  for (size_t i = 0; i < sizeof LINKS / sizeof LINKS[0]; i++)
    if (symlinkat(LINKS[i].target, devfd, LINKS[i].name) < 0)
      fail("symlink", errno, "`/dev/%s` -> `%s`", LINKS[i].name, LINKS[i].target);
  const char *dirs[] = {"pts", "shm", "mqueue"};
  for (size_t i = 0; i < 3; i++)
    if (mkdirat(devfd, dirs[i], 0755) < 0) fail("mkdir", errno, "`/dev/%s`", dirs[i]);
  /* newinstance: the container's ptys are its own, not the host's. */
  if (mount("devpts", dev_path(devfd, "pts"), "devpts", MS_NOSUID | MS_NOEXEC,
            "newinstance,ptmxmode=0666,mode=620,gid=5") < 0)
    fail("mount", errno, "mount `devpts` on `/dev/pts`");
  char shm_opts[64];
  snprintf(shm_opts, sizeof shm_opts, "mode=1777,size=%llu", shm_size ? shm_size : 64ULL << 20);
  if (mount("shm", dev_path(devfd, "shm"), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_opts) < 0)
    fail("mount", errno, "mount `tmpfs` on `/dev/shm` (%s)", shm_opts);
  /* mqueue shows the message queues of the container's (new) ipc namespace. */
  if (mount("mqueue", dev_path(devfd, "mqueue"), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    fail("mount", errno, "mount `mqueue` on `/dev/mqueue`");
  close(devfd);
}
