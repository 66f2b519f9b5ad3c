/* `run CONFIG`: clone the workload into new namespaces, set up its root, exec it, and stay as its
 * monitor (attached), or hand the monitor role to a detached session leader (detached). */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void require(const char *value, const char *key, const char *path) {
  if (!value) fail("config", EINVAL, "config `%s`: key `%s` is required", path, key);
}

/* Blocks until the monitor holds our mount namespace (EOF on `hold_fd`; -1: nothing to wait for). */
static void await_ns_held(int hold_fd) {
  if (hold_fd < 0) return;
  char c;
  ssize_t n;
  do n = read(hold_fd, &c, 1);
  while (n < 0 && errno == EINTR);
  close(hold_fd);
}

/* Runs in the clone child, PID 1 of the new pid namespace; never returns. `hold_fd`: see await_ns_held. */
static _Noreturn void setup_child(const struct config *cfg, int devnull, int log_out, int log_err, int lo_up,
                                  int hold_fd) {
  /* "0" = the writer: only the workload joins the cgroups, the monitor stays outside. */
  for (size_t i = 0; i < cfg->cgroup_procs.len; i++) cgroup_join_self(cfg->cgroup_procs.items[i]);
  trace_mark("cgroups");
  /* A cgroup namespace now roots at the cgroups just joined. */
  if (unshare(CLONE_NEWCGROUP) < 0) fail("unshare", errno, "CLONE_NEWCGROUP");
  if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
    fail("sethostname", errno, "`%s`", cfg->hostname);
  if (cfg->net_none && !lo_up) net_bring_lo_up();
  trace_mark("cgroupns_uts_lo");
  rootfs_mount_overlay(cfg);
  trace_mark("overlay");
  rootfs_mount_specials(cfg);
  rootfs_pivot(cfg->rootfs);
  trace_mark("pivot");
  rootfs_mask_paths();
  stamp_mark(STAMP_ROOTFS);
  trace_mark("masks");
  process_apply_rlimits(cfg);
  if (devnull >= 0) {
    /* Detached: no terminal, output appended to the log files. */
    if (dup2(devnull, 0) < 0 || dup2(log_out, 1) < 0 || dup2(log_err, 2) < 0) fail("dup2", errno, "log files");
  }
  /* From here on the child leaves only by exec (or a setup failure): its exit must not end the
   * namespace before the monitor holds it. Long done by now: this read returns at once. */
  await_ns_held(hold_fd);
  process_finish_and_exec(cfg, 1);
}

static int open_log(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) fail("open", errno, "log `%s`", path);
  return fd;
}

/* Detached: the workload's stdin is /dev/null, its output the log files (opened on the host). */
static void open_detached_stdio(const struct config *cfg, int *devnull, int *log_out, int *log_err) {
  *devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (*devnull < 0) fail("open", errno, "`/dev/null`");
  *log_out = open_log(cfg->stdout_log);
  *log_err = open_log(cfg->stderr_log);
}

static void require_keys(const struct config *cfg, const char *label) {
  require(cfg->rootfs, "rootfs", label);
  require(cfg->upper, "upper", label);
  require(cfg->work, "work", label);
  if (cfg->detached) {
    require(cfg->stdout_log, "stdout_log", label);
    require(cfg->stderr_log, "stderr_log", label);
    require(cfg->exit_file, "exit_file", label);
  }
}

static pid_t clone_namespaces(int net_none) {
  unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (net_none ? CLONE_NEWNET : 0);
  /* clone without a new stack behaves like fork, with the new namespaces for the child. */
  stamps_share();
  trace_mark("clone");
  pid_t child = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  /* Stamped by the child: before its rootfs stamp whatever the scheduler does with the parent. */
  if (child == 0) stamp_mark(STAMP_NAMESPACES);
  if (child < 0) fail("clone", errno, "new pid/mount/uts/ipc%s namespaces", net_none ? "/net" : "");
  return child;
}

/*
 * Opens the child's mount namespace so that it outlives the child. A namespace dies with its last
 * process: when the workload (PID 1) exits, the kernel would unmount its overlay in the exit path,
 * and overlayfs syncs the whole upper filesystem on unmount (ovl_sync_fs via sync_filesystem,
 * milliseconds), all before we can reap the workload and report its exit. Held by this fd, the
 * namespace (and that sync) goes when we close it, after the `exit` line (setns(2), namespaces(7):
 * an open /proc/PID/ns file keeps the namespace alive). Precondition: the child cannot exit yet
 * (it waits for the config, or in await_ns_held). Returns -1 if it cannot be held (a warning).
 */
static int hold_mount_ns(pid_t child) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)child);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  /* ENOENT: the child already died (a setup failure, reported on its own): nothing to hold. */
  if (fd < 0 && errno != ENOENT)
    warn_line("open `%s`: %s; the overlay's unmount sync now precedes the exit report", path, strerror(errno));
  return fd;
}

/* Drops the held namespace: the overlay is unmounted (and synced) here, before close returns to us. */
static void release_mount_ns(int *ns_fd) {
  if (*ns_fd >= 0) close(*ns_fd);
  *ns_fd = -1;
}

/* Closes every fd from 3 up except `*keep`, which moves to fd 3 (the monitor keeps 0-3 only). */
static void close_fds_except(int *keep) {
  if (*keep > 3) {
    syscall(SYS_close_range, 3U, (unsigned)*keep - 1, 0U);
    if (dup3(*keep, 3, O_CLOEXEC) == 3) close(*keep), *keep = 3;
  }
  syscall(SYS_close_range, *keep >= 3 ? (unsigned)*keep + 1 : 3U, ~0U, 0U);
}

/* The monitor's part once the child runs: report `monitor`/`pid`, wait, report the exit, then let
 * the container's mount namespace go (`ns_fd`, from hold_mount_ns). `sync_fd` >= 0 means detached. */
static int monitor_child(const struct config *cfg, pid_t child, int err_fd, int sync_fd, int ns_fd,
                         const sigset_t *saved) {
  monitor_install_handlers(child, saved);
  status_line("monitor %d", (int)getpid());
  int status, signo;
  if (read_child_error(err_fd)) {
    monitor_wait(child, &status);
    return monitor_exit_code(status, &signo);
  }
  trace_mark("execd");
  status_pid_line(child);
  if (sync_fd >= 0) {
    /* Tell the spawned helper it may exit, then shed every fd: the TS side's pipes must close. */
    if (write(sync_fd, "k", 1) != 1) {
      /* The spawned helper is gone: nobody waits, but the workload runs; keep monitoring. */
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) dup2(null, 0), dup2(null, 1), dup2(null, 2);
    close_fds_except(&ns_fd);
    g_status_fd = g_error_fd = -1;
  }
  if (monitor_wait(child, &status) < 0) return EXIT_SETUP_FAILED;
  trace_mark("reaped");
  int code = monitor_exit_code(status, &signo);
  if (sync_fd >= 0) {
    monitor_write_exit_file(cfg->exit_file, code, signo);
    /* The overlay must be gone before --rm deletes the dirs under it. */
    release_mount_ns(&ns_fd);
    monitor_cleanup(cfg);
  } else {
    status_line("exit %d %d", code, signo);
    /* Untimed from here: the TS side has the exit; it awaits our exit (the unmount) in cleanup(). */
    release_mount_ns(&ns_fd);
    trace_mark("ns_released");
  }
  return code;
}

/* `run CONFIG`: clone once the config is read. `sync_fd` >= 0 means detached. */
static int start_and_monitor(const struct config *cfg, int sync_fd) {
  int devnull = -1, log_out = -1, log_err = -1;
  if (sync_fd >= 0) open_detached_stdio(cfg, &devnull, &log_out, &log_err);
  int errp[2], holdp[2];
  /* CLOEXEC error pipe: EOF means the child's execve succeeded. */
  if (pipe2(errp, O_CLOEXEC) < 0) fail("pipe2", errno, "error pipe");
  /* EOF on the hold pipe tells the child we hold its mount namespace (see hold_mount_ns). */
  if (pipe2(holdp, O_CLOEXEC) < 0) fail("pipe2", errno, "hold pipe");
  sigset_t saved;
  monitor_block_signals(&saved);
  pid_t child = clone_namespaces(cfg->net_none);
  if (child == 0) {
    close(errp[0]);
    close(holdp[1]);
    g_error_fd = errp[1];
    trace_mark("child");
    /* The helper (our parent) dies -> we die: no orphaned container. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
    setup_child(cfg, devnull, log_out, log_err, 0, holdp[0]);
  }
  int ns_fd = hold_mount_ns(child);
  close(holdp[0]);
  close(holdp[1]);
  close(errp[1]);
  if (devnull >= 0) close(devnull), close(log_out), close(log_err);
  return monitor_child(cfg, child, errp[0], sync_fd, ns_fd, &saved);
}

/* Ignores what the TS side orchestrates: Ctrl-C, and a vanished status reader must not kill the monitor. */
static void ignore_terminal_signals(void) {
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
}

/* Detached: fork the long-lived monitor (a session leader) and exit once the workload started. */
static int fork_monitor(int (*start)(const void *arg, int sync_fd), const void *arg) {
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) < 0) fail("pipe2", errno, "sync pipe");
  pid_t monitor = fork();
  if (monitor < 0) fail("fork", errno, "monitor");
  if (monitor == 0) {
    close(sync[0]);
    /* setsid: out of the caller's session, so a terminal's Ctrl-C or hangup cannot reach it. */
    setsid();
    _exit(start(arg, sync[1]));
  }
  close(sync[1]);
  char ok;
  ssize_t n;
  do n = read(sync[0], &ok, 1);
  while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : EXIT_SETUP_FAILED;
}

static int start_detached(const void *cfg, int sync_fd) {
  return start_and_monitor(cfg, sync_fd);
}

int cmd_run(const char *config_path) {
  struct config cfg;
  config_load(&cfg, config_path, CONFIG_RUN);
  trace_mark("config");
  require_keys(&cfg, config_path);
  ignore_terminal_signals();
  if (!cfg.detached) {
    /* Attached: if the node process dies (even SIGKILL), we die, and so does the container. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
    if (cfg.parent_pid && getppid() != cfg.parent_pid) fail("getppid", ESRCH, "parent %d already gone", cfg.parent_pid);
    return start_and_monitor(&cfg, -1);
  }
  return fork_monitor(start_detached, &cfg);
}

/*
 * `run-fd MODE:NETWORK` (e.g. `attached:none`): the pipelined launch. The TS side spawns us
 * before the container's dir, record and cgroup exist; we clone the child into its namespaces
 * (the costly part of clone) while it makes them, then both wait for the config, which arrives on
 * fd 4 once they exist. NOTE: nothing of the workload runs before the config: the child only
 * brings lo up before it, and joins its cgroups before anything else after it.
 */
#define CONFIG_FD 4

struct early_hints {
  int detached, net_none;
};

/* The child's part before the config: lo, then the config's bytes from the monitor. */
static _Noreturn void early_child(const struct early_hints *hints, int cfg_fd) {
  trace_mark("child");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
  if (hints->net_none) net_bring_lo_up();
  size_t size;
  char *buf = config_read_fd(cfg_fd, &size, "config pipe");
  /* No config: the launch was abandoned before it started (the monitor says so, not us). */
  if (size == 0) _exit(EXIT_SETUP_FAILED);
  close(cfg_fd);
  struct config cfg;
  config_parse(&cfg, buf, size, "config pipe", CONFIG_RUN);
  int devnull = -1, log_out = -1, log_err = -1;
  if (cfg.detached) open_detached_stdio(&cfg, &devnull, &log_out, &log_err);
  setup_child(&cfg, devnull, log_out, log_err, 1, -1);
}

static int start_early(const void *arg, int sync_fd) {
  const struct early_hints *hints = arg;
  int errp[2], cfgp[2];
  /* CLOEXEC error pipe: EOF means the child's execve succeeded. */
  if (pipe2(errp, O_CLOEXEC) < 0) fail("pipe2", errno, "error pipe");
  /* The config's bytes for the child: it reads them while we parse our copy. */
  if (pipe2(cfgp, O_CLOEXEC) < 0) fail("pipe2", errno, "config pipe");
  sigset_t saved;
  monitor_block_signals(&saved);
  pid_t child = clone_namespaces(hints->net_none);
  if (child == 0) {
    close(errp[0]);
    close(cfgp[1]);
    close(CONFIG_FD);
    g_error_fd = errp[1];
    early_child(hints, cfgp[0]);
  }
  /* Before the config goes to the child: until then it cannot exit (but by failing). */
  int ns_fd = hold_mount_ns(child);
  close(errp[1]);
  close(cfgp[0]);
  size_t size;
  char *buf = config_read_fd(CONFIG_FD, &size, "fd 4");
  close(CONFIG_FD);
  trace_mark("config");
  if (size == 0) {
    /* Abandoned (the TS side failed before launching): the child sees EOF and exits too. */
    close(cfgp[1]);
    int status;
    monitor_wait(child, &status);
    return EXIT_SETUP_FAILED;
  }
  for (size_t off = 0; off < size;) {
    ssize_t n = write(cfgp[1], buf + off, size - off);
    if (n < 0 && errno == EINTR) continue;
    /* The child died: its error (if any) arrives on the error pipe. */
    if (n < 0) break;
    off += (size_t)n;
  }
  close(cfgp[1]);
  /* Our own copy: the child parsed from its copy, so values may point into this buffer. */
  struct config cfg;
  config_parse(&cfg, buf, size, "fd 4", CONFIG_RUN);
  require_keys(&cfg, "fd 4");
  if (cfg.detached != hints->detached || cfg.net_none != hints->net_none)
    fail("config", EINVAL, "config on fd 4: mode/network differ from the `run-fd` arguments");
  if (!cfg.detached && cfg.parent_pid && getppid() != cfg.parent_pid)
    fail("getppid", ESRCH, "parent %d already gone", cfg.parent_pid);
  return monitor_child(&cfg, child, errp[0], sync_fd, ns_fd, &saved);
}

int cmd_run_fd(const char *hints_text) {
  struct early_hints hints;
  if (!strcmp(hints_text, "attached:none")) hints = (struct early_hints){0, 1};
  else if (!strcmp(hints_text, "attached:host")) hints = (struct early_hints){0, 0};
  else if (!strcmp(hints_text, "detached:none")) hints = (struct early_hints){1, 1};
  else if (!strcmp(hints_text, "detached:host")) hints = (struct early_hints){1, 0};
  else fail("run-fd", EINVAL, "expected attached|detached:none|host, got `%s`", hints_text);
  /* fd 4 must be there: it is the only way the config comes. */
  if (fcntl(CONFIG_FD, F_SETFD, FD_CLOEXEC) < 0) fail("fcntl", errno, "config fd %d", CONFIG_FD);
  ignore_terminal_signals();
  if (!hints.detached) {
    /* Attached: if the node process dies (even SIGKILL), we die, and so does the container. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
    return start_early(&hints, -1);
  }
  return fork_monitor(start_early, &hints);
}
