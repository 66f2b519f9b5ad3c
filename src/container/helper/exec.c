/* `exec CONFIG`: run one more process inside a running container: join its namespaces and
 * cgroups, apply the same security setup, exec; the helper waits and reports like `run`. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Join order: pid applies to children only; mnt last, since it changes what paths mean. */
static const struct {
  const char *name;
  int type;
} NAMESPACES[] = {
    {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},       {"net", CLONE_NEWNET},
    {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
};
#define N_NS (sizeof NAMESPACES / sizeof NAMESPACES[0])

/* Opens the target's namespace, or returns -1 when it is already ours (e.g. network host). */
static int open_ns(pid_t pid, const char *name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", errno, "`%s`", path);
  char self[64];
  snprintf(self, sizeof self, "/proc/self/ns/%s", name);
  struct stat a, b;
  if (fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
    close(fd);
    return -1;
  }
  return fd;
}

int cmd_exec(const char *config_path) {
  struct config cfg;
  config_load(&cfg, config_path, CONFIG_EXEC);
  if (!cfg.target_pid) fail("config", EINVAL, "config `%s`: key `target_pid` is required", config_path);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
  /* Non-dumpable until the workload's execve resets it: the container's processes cannot open our
   * /proc/PID files (exe, fd, mem) without CAP_SYS_PTRACE (ptrace(2), "Ptrace access mode"). */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_DUMPABLE 0");
  if (cfg.parent_pid && getppid() != cfg.parent_pid) fail("getppid", ESRCH, "parent %d already gone", cfg.parent_pid);
  /* Everything is opened while host paths still mean host paths. */
  int nsfd[N_NS];
  for (size_t i = 0; i < N_NS; i++) nsfd[i] = open_ns(cfg.target_pid, NAMESPACES[i].name);
  int *cgfd = calloc(cfg.cgroup_procs.len + 1, sizeof *cgfd);
  if (!cgfd) fail("malloc", ENOMEM, "cgroup fds");
  for (size_t i = 0; i < cfg.cgroup_procs.len; i++) {
    cgfd[i] = open(cfg.cgroup_procs.items[i], O_WRONLY | O_CLOEXEC);
    if (cgfd[i] < 0) fail("open", errno, "`%s`", cfg.cgroup_procs.items[i]);
  }
  /* setns(pid) here: it takes effect for the child we fork next. */
  if (nsfd[3] >= 0 && setns(nsfd[3], CLONE_NEWPID) < 0) fail("setns", errno, "pid namespace of %d", cfg.target_pid);
  int errp[2];
  if (pipe2(errp, O_CLOEXEC) < 0) fail("pipe2", errno, "error pipe");
  int ttyp[2] = {-1, -1};
  if (cfg.tty) tty_socketpair(ttyp);
  sigset_t saved;
  monitor_block_signals(&saved);
  pid_t child = fork();
  if (child < 0) fail("fork", errno, "exec process");
  if (child == 0) {
    close(errp[0]);
    g_error_fd = errp[1];
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
    for (size_t i = 0; i < cfg.cgroup_procs.len; i++)
      if (write(cgfd[i], "0", 1) != 1) fail("write", errno, "`0` to `%s`", cfg.cgroup_procs.items[i]);
    for (size_t i = 0; i < N_NS; i++) {
      if (i == 3 || nsfd[i] < 0) continue;
      /* setns: enter the container's namespace of this kind. */
      if (setns(nsfd[i], NAMESPACES[i].type) < 0)
        fail("setns", errno, "%s namespace of %d", NAMESPACES[i].name, cfg.target_pid);
    }
    process_apply_rlimits(&cfg);
    /* After the mount namespace: the pty comes from the container's devpts. */
    if (cfg.tty) close(ttyp[0]), tty_child_setup(ttyp[1], cfg.uid);
    process_finish_and_exec(&cfg, 0);
  }
  close(errp[1]);
  if (cfg.tty) close(ttyp[1]), tty_monitor_arm();
  for (size_t i = 0; i < N_NS; i++)
    if (nsfd[i] >= 0) close(nsfd[i]);
  for (size_t i = 0; i < cfg.cgroup_procs.len; i++) close(cgfd[i]);
  monitor_install_handlers(child, &saved);
  status_line("monitor %d", (int)getpid());
  int status, signo;
  if (read_child_error(errp[0])) {
    monitor_wait(child, &status);
    return monitor_exit_code(status, &signo);
  }
  status_line("pid %d", (int)child);
  if (cfg.tty) tty_monitor_relay(ttyp[0]);
  if (monitor_wait(child, &status) < 0) return EXIT_SETUP_FAILED;
  int code = monitor_exit_code(status, &signo);
  status_line("exit %d %d", code, signo);
  return code;
}
