/* Path walks below a directory fd that never follow a symlink and never climb out with "..":
 * image layers are hostile, and a symlinked mount point must not lead a root mount to the host. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens the directory `rel` below `dirfd` as an O_PATH fd, creating missing components (0755)
 * when `create`. With `last`, stops before the final component: returns the parent's fd and
 * points *last at the final name (valid until the next call). Returns -1 with errno on failure;
 * a symlink component fails with ENOTDIR, ".." with EINVAL. */
int open_dir_beneath(int dirfd, const char *rel, int create, const char **last) {
  static char copy[PATH_MAX];
  if (strlen(rel) >= sizeof copy) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(copy, rel);
  if (last) *last = NULL;
  /* O_PATH: we only need a handle to resolve the next component against. */
  int fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  char *p = copy;
  while (*p == '/') p++;
  while (*p) {
    char *next = strchr(p, '/');
    if (next) {
      *next++ = '\0';
      while (*next == '/') next++;
    } else {
      next = p + strlen(p);
    }
    if (strcmp(p, ".") == 0) {
      p = next;
      continue;
    }
    if (strcmp(p, "..") == 0) {
      close(fd);
      errno = EINVAL;
      return -1;
    }
    if (last && *next == '\0') {
      *last = p;
      return fd;
    }
    /* O_NOFOLLOW|O_DIRECTORY: a symlink (or a file) here fails with ENOTDIR instead of being followed. */
    int nfd = openat(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (nfd < 0 && errno == ENOENT && create) {
      /* mkdirat: create the missing mount point / parent, as runc does. */
      if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
      }
      nfd = openat(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    int e = errno;
    close(fd);
    if (nfd < 0) {
      errno = e;
      return -1;
    }
    fd = nfd;
    p = next;
  }
  if (last) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

/* Opens (O_PATH) an existing file or dir `rel` below `dirfd`, no symlink anywhere. */
int open_path_beneath(int dirfd, const char *rel) {
  const char *name;
  int parent = open_dir_beneath(dirfd, rel, 0, &name);
  if (parent < 0) return -1;
  int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  int e = errno;
  close(parent);
  errno = e;
  return fd;
}
