/* Joining a cgroup with the least kernel work: moving one thread instead of a thread group. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * Moves the calling process into the cgroup whose cgroup.procs is `procs_file`.
 * NOTE: precondition: the caller is single-threaded (the helper never starts threads), so moving
 * its one thread moves the whole process, and its children are born in the cgroup.
 * On a v1 hierarchy we write "0" to the cgroup's `tasks` file: migrating just the current thread
 * skips the global cgroup_threadgroup_rwsem (kernel/cgroup/cgroup.c, cgroup_procs_write_start,
 * Linux 6.0+), whose write side waits for an RCU grace period (rcu_sync_enter -> synchronize_rcu):
 * ~4 ms on the first cgroup.procs write of a launch here, 0.05 ms for `tasks`. cgroup2 has no
 * `tasks` file (cgroup.threads needs a threaded subtree): there cgroup.procs it is.
 */
void cgroup_join_self(const char *procs_file) {
  const char *base = strrchr(procs_file, '/');
  int fd = -1;
  if (base && strcmp(base, "/cgroup.procs") == 0) {
    char tasks[PATH_MAX];
    int n = snprintf(tasks, sizeof tasks, "%.*s/tasks", (int)(base - procs_file), procs_file);
    if (n > 0 && (size_t)n < sizeof tasks) {
      fd = open(tasks, O_WRONLY | O_CLOEXEC);
      if (fd < 0 && errno != ENOENT) fail("open", errno, "`%s`", tasks);
      if (fd >= 0 && write(fd, "0", 1) != 1) fail("write", errno, "`0` to `%s`", tasks);
    }
  }
  if (fd < 0) {
    fd = open(procs_file, O_WRONLY | O_CLOEXEC);
    if (fd < 0) fail("open", errno, "`%s`", procs_file);
    if (write(fd, "0", 1) != 1) fail("write", errno, "`0` to `%s`", procs_file);
  }
  close(fd);
}
