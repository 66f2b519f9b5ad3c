/* Overlay metadata for the image store and builder: write whiteouts and opaque marks into a
 * layer dir (`overlay-marks`), and list opaque dirs of an upper dir (`opaque-dirs`). */
#define _XOPEN_SOURCE 700
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define OPAQUE_XATTR "trusted.overlay.opaque"

static void check_relpath(const char *rel) {
  if (!*rel || rel[0] == '/') fail("overlay-marks", EINVAL, "path `%s`: expected a non-empty relative path", rel);
  for (const char *p = rel; (p = strstr(p, "..")); p += 2)
    if ((p == rel || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
      fail("overlay-marks", EINVAL, "path `%s`: `..` is not allowed", rel);
}

/* A whiteout is a 0/0 character device: overlayfs hides the lower entry of that name. */
static void make_whiteout(int rootfd, const char *rel) {
  const char *name;
  int parent = open_dir_beneath(rootfd, rel, 1, &name);
  if (parent < 0) fail("openat", errno, "parent of whiteout `%s` (symlink or not a dir?)", rel);
  if (mknodat(parent, name, S_IFCHR | 0, makedev(0, 0)) < 0) {
    /* An entry of that name from the same layer: the whiteout replaces it (not a dir). */
    if (errno != EEXIST || unlinkat(parent, name, 0) < 0 || mknodat(parent, name, S_IFCHR | 0, makedev(0, 0)) < 0)
      fail("mknod", errno, "whiteout `%s`", rel);
  }
  close(parent);
}

static void make_opaque(int rootfd, const char *rel) {
  int fd = open_dir_beneath(rootfd, rel, 1, NULL);
  if (fd < 0) fail("openat", errno, "opaque dir `%s` (symlink or not a dir?)", rel);
  /* fsetxattr needs a real fd, not O_PATH: reopen the dir itself. */
  int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) fail("openat", errno, "opaque dir `%s`", rel);
  if (fsetxattr(dfd, OPAQUE_XATTR, "y", 1, 0) < 0) fail("fsetxattr", errno, "`%s` on `%s`", OPAQUE_XATTR, rel);
  close(dfd);
  close(fd);
}

int cmd_overlay_marks(const char *dir) {
  g_error_fd = 2;
  int rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail("open", errno, "`%s`", dir);
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (line[n - 1] == '\n') line[--n] = '\0';
    if (n == 0) continue;
    if (n < 3 || line[1] != ' ' || (line[0] != 'w' && line[0] != 'o'))
      fail("overlay-marks", EINVAL, "line `%s`: expected `w RELPATH` or `o RELPATH`", line);
    const char *rel = line + 2;
    check_relpath(rel);
    if (line[0] == 'w') make_whiteout(rootfd, rel);
    else make_opaque(rootfd, rel);
  }
  free(line);
  close(rootfd);
  return 0;
}

static size_t g_base_len;

static int print_if_opaque(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  if (type != FTW_D) return 0;
  char value[4];
  /* lgetxattr: never follow a symlink out of the dir. */
  ssize_t n = lgetxattr(path, OPAQUE_XATTR, value, sizeof value);
  if (n != 1 || value[0] != 'y') return 0;
  const char *rel = ftw->level == 0 ? "." : path + g_base_len + 1;
  if (strchr(rel, '\n')) fail("opaque-dirs", EINVAL, "dir name with a newline under `%.*s`", (int)g_base_len, path);
  printf("%s\n", rel);
  return 0;
}

int cmd_opaque_dirs(const char *dir) {
  g_error_fd = 2;
  char base[4096];
  snprintf(base, sizeof base, "%s", dir);
  size_t len = strlen(base);
  while (len > 1 && base[len - 1] == '/') base[--len] = '\0';
  g_base_len = len;
  /* FTW_PHYS: walk the tree as it is, never through symlinks. */
  if (nftw(base, print_if_opaque, 32, FTW_PHYS) < 0) fail("nftw", errno, "`%s`", base);
  if (fflush(stdout) != 0) fail("write", errno, "stdout");
  return 0;
}
