/* `run MODE:NETWORK` (e.g. `attached:none`): start a container. The caller spawns us before the
 * container's dir, record and cgroup exist; we clone the child into its namespaces (the costly part
 * of the launch) while it makes them, and the config arrives on fd 4 once they exist. Attached, we
 * stay as the workload's monitor; detached, a session leader takes that role and we exit once the
 * workload runs. NOTE: nothing of the workload runs before the config is read and accepted: the
 * child only brings lo up before it, and joins its cgroups before anything else after it. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The config comes on this fd, as `key\0value\0` records (config.c), ended by EOF. */
#define CONFIG_FD 4

/* What the arguments say, before the config: the clone's namespaces, who monitors, and whether
 * the child gets a socket to send a pty master through (-t). */
struct launch_hints {
  int detached, net_none, net_bridge, tty;
};

static void require(const char *value, const char *key, const char *path) {
  if (!value) fail("config", EINVAL, "config `%s`: key `%s` is required", path, key);
}

/* Runs in the clone child, PID 1 of the new pid namespace, once the config is in; never returns.
 * Detached, `devnull` and the log fds become its stdio; attached, -1. lo is already up. */
static _Noreturn void setup_child(const struct config *cfg, int devnull, int log_out, int log_err, int tty_sock) {
  /* "0" = the writer: only the workload joins the cgroups, the monitor stays outside. */
  for (size_t i = 0; i < cfg->cgroup_procs.len; i++) cgroup_join_self(cfg->cgroup_procs.items[i]);
  trace_mark("cgroups");
  /* A cgroup namespace now roots at the cgroups just joined. */
  if (unshare(CLONE_NEWCGROUP) < 0) fail("unshare", errno, "CLONE_NEWCGROUP");
  if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
    fail("sethostname", errno, "`%s`", cfg->hostname);
  trace_mark("cgroupns_uts");
  rootfs_mount_overlay(cfg);
  trace_mark("overlay");
  rootfs_mount_specials(cfg);
  rootfs_pivot(cfg->rootfs);
  trace_mark("pivot");
  rootfs_mask_paths();
  mounts_readonly_root(cfg);
  stamp_mark(STAMP_ROOTFS);
  trace_mark("masks");
  /* After pivot_root: the pty comes from the container's own devpts. */
  if (cfg->tty) tty_child_setup(tty_sock, cfg->uid);
  process_apply_rlimits(cfg);
  if (devnull >= 0) {
    /* Detached: no terminal, output appended to the log files. */
    if (dup2(devnull, 0) < 0 || dup2(log_out, 1) < 0 || dup2(log_err, 2) < 0) fail("dup2", errno, "log files");
  }
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
  if (cfg->detached && cfg->tty) fail("config", EINVAL, "config `%s`: key `tty`: only for attached runs", label);
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
 * (it waits for the config). Returns -1 if it cannot be held (a warning).
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

/*
 * Lets go of the workload's stdin, stdout and stderr (our fds 0-2 are the same pipes or files).
 * Attached, this comes before the exit report, so the caller reads the end of the output with the
 * exit, not after our teardown: the overlay's unmount syncs the whole upper filesystem, dirty data
 * of other processes included, and must never hold the output open. The status fd stays (it is
 * fd 2 when the caller passed no fd 3).
 */
static void release_stdio(void) {
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2; fd++) {
    if (fd == g_status_fd) continue;
    /* dup2 onto an open fd closes it first; without /dev/null, close it outright. */
    if (null < 0 || dup2(null, fd) < 0) close(fd);
  }
  if (null > 2) close(null);
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
static int monitor_child(const struct config *cfg, pid_t child, int err_fd, int sync_fd, int ns_fd, int tty_sock,
                         const sigset_t *saved) {
  monitor_install_handlers(child, saved);
  status_line("monitor %d", (int)getpid());
  int status, signo;
  if (read_child_error(err_fd)) {
    monitor_wait(child, &status);
    proxy_stop();
    return monitor_exit_code(status, &signo);
  }
  trace_mark("execd");
  status_pid_line(child);
  /* -t (attached only): relay until the workload and all it started have let go of the pty. */
  if (tty_sock >= 0) tty_monitor_relay(tty_sock);
  if (sync_fd >= 0) {
    /* Tell the spawned helper it may exit, then shed every fd: the TS side's pipes must close. */
    if (write(sync_fd, "k", 1) != 1) {
      /* The spawned helper is gone: nobody waits, but the workload runs; keep monitoring. */
    }
    release_stdio();
    close_fds_except(&ns_fd);
    g_status_fd = g_error_fd = -1;
  }
  if (monitor_wait(child, &status) < 0) return EXIT_SETUP_FAILED;
  /* The ports are free again before anyone learns of the exit. */
  proxy_stop();
  trace_mark("reaped");
  int code = monitor_exit_code(status, &signo);
  if (sync_fd >= 0) {
    monitor_write_exit_file(cfg->exit_file, code, signo);
    /* The overlay must be gone before --rm deletes the dirs under it. */
    release_mount_ns(&ns_fd);
    monitor_cleanup(cfg);
  } else {
    /* Every other writer of the workload's output died with it (PID 1 of its pid namespace is
     * reaped only once every process in it has exited): after this, the output has ended. */
    release_stdio();
    /* The exit report precedes any teardown: it is the moment the caller learns the status. */
    status_line("exit %d %d", code, signo);
    /* Teardown from here (the caller times it as such): unmount and sync, then our exit. */
    release_mount_ns(&ns_fd);
    trace_mark("ns_released");
  }
  return code;
}

/* Ignores what the TS side orchestrates: Ctrl-C, and a vanished status reader must not kill the monitor. */
static void ignore_terminal_signals(void) {
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
}

/* The child's part: lo up, then the config's bytes from the monitor (sent once it accepted them). */
static _Noreturn void child_main(const struct launch_hints *hints, int cfg_fd, int tty_sock) {
  trace_mark("child");
  /* The helper (our parent) dies -> we die: no orphaned container. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
  if (hints->net_none || hints->net_bridge) net_bring_lo_up();
  size_t size;
  char *buf = config_read_fd(cfg_fd, &size, "config pipe");
  /* No config: the launch was abandoned or the config refused (the monitor says why, not us). */
  if (size == 0) _exit(EXIT_SETUP_FAILED);
  close(cfg_fd);
  struct config cfg;
  config_parse(&cfg, buf, size, "config pipe", CONFIG_RUN);
  if (cfg.net_bridge) {
    /* The monitor made eth0 in our namespace before it sent the config. */
    struct net_veth veth;
    net_parse_veth(cfg.net_veth, &veth, "config pipe");
    net_configure_eth0(&veth);
    trace_mark("eth0");
  }
  int devnull = -1, log_out = -1, log_err = -1;
  if (cfg.detached) open_detached_stdio(&cfg, &devnull, &log_out, &log_err);
  /* --init: our own binary, opened while host paths still mean host paths (the image needs nothing). */
  if (cfg.init && (cfg.init_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) < 0)
    fail("open", errno, "`/proc/self/exe` (the helper binary, run as the init)");
  setup_child(&cfg, devnull, log_out, log_err, tty_sock);
}

/* Writes the whole config to the child; a write error means it died (its error, if any, is on the
 * error pipe). */
static void send_config(int fd, const char *buf, size_t size) {
  for (size_t off = 0; off < size;) {
    ssize_t n = write(fd, buf + off, size - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    off += (size_t)n;
  }
  close(fd);
}

/* Clone first, then read, check and forward the config, then monitor. `sync_fd` >= 0: detached. */
static int start(const void *arg, int sync_fd) {
  const struct launch_hints *hints = arg;
  int errp[2], cfgp[2];
  /* CLOEXEC error pipe: EOF means the child's execve succeeded. */
  if (pipe2(errp, O_CLOEXEC) < 0) fail("pipe2", errno, "error pipe");
  /* The config's bytes for the child, once we have accepted them. */
  if (pipe2(cfgp, O_CLOEXEC) < 0) fail("pipe2", errno, "config pipe");
  int ttyp[2] = {-1, -1};
  if (hints->tty) tty_socketpair(ttyp);
  sigset_t saved;
  monitor_block_signals(&saved);
  pid_t child = clone_namespaces(hints->net_none || hints->net_bridge);
  if (child == 0) {
    close(errp[0]);
    close(cfgp[1]);
    close(CONFIG_FD);
    if (ttyp[0] >= 0) close(ttyp[0]);
    g_error_fd = errp[1];
    child_main(hints, cfgp[0], ttyp[1]);
  }
  if (ttyp[1] >= 0) close(ttyp[1]);
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
  /* Checked in full before a byte reaches the child: a refused config has started nothing (the
   * child sees EOF when we exit, and PR_SET_PDEATHSIG ends it in any case). The parser splits
   * values in place: it gets a copy, and the child the bytes as they came. */
  char *copy = malloc(size + 1);
  if (!copy) fail("malloc", ENOMEM, "config `fd 4`");
  memcpy(copy, buf, size + 1);
  struct config cfg;
  config_parse(&cfg, copy, size, "fd 4", CONFIG_RUN);
  require_keys(&cfg, "fd 4");
  if (cfg.detached != hints->detached || cfg.net_none != hints->net_none || cfg.net_bridge != hints->net_bridge ||
      cfg.tty != hints->tty)
    fail("config", EINVAL, "config on fd 4: mode/network/tty differ from the `run` argument");
  struct net_veth veth;
  if (cfg.net_bridge) net_parse_veth(cfg.net_veth, &veth, "fd 4");
  /* -t: restore the caller's terminal even when the node process is SIGKILLed (a catchable
   * parent-death signal); armed before the parent check below, so no death goes unseen. */
  if (cfg.tty) tty_monitor_arm();
  if (!cfg.detached && cfg.parent_pid && getppid() != cfg.parent_pid)
    fail("getppid", ESRCH, "parent %d already gone", cfg.parent_pid);
  if (cfg.net_bridge) {
    /* eth0 exists in the child's namespace before it reads its config; the published ports are
     * bound before the workload starts (a taken one fails here, with nothing started). */
    net_create_veth(&veth, child);
    proxy_start(&cfg, &veth);
    trace_mark("veth");
  }
  /* The child parses its own copy of the same bytes (it was cloned before they came). */
  send_config(cfgp[1], buf, size);
  free(buf);
  return monitor_child(&cfg, child, errp[0], sync_fd, ns_fd, ttyp[0], &saved);
}

/* Detached: fork the long-lived monitor (a session leader) and exit once the workload started. */
static int fork_monitor(const struct launch_hints *hints) {
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) < 0) fail("pipe2", errno, "sync pipe");
  pid_t monitor = fork();
  if (monitor < 0) fail("fork", errno, "monitor");
  if (monitor == 0) {
    close(sync[0]);
    /* setsid: out of the caller's session, so a terminal's Ctrl-C or hangup cannot reach it. */
    setsid();
    _exit(start(hints, sync[1]));
  }
  close(sync[1]);
  char ok;
  ssize_t n;
  do n = read(sync[0], &ok, 1);
  while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : EXIT_SETUP_FAILED;
}

int cmd_run(const char *hints_text) {
  /* MODE:NETWORK, then `:tty` for an attached run with -t. */
  struct launch_hints hints = {0};
  char mode[16], network[16], extra[8];
  int n = sscanf(hints_text, "%15[a-z]:%15[a-z]:%7[a-z]", mode, network, extra);
  int ok = n >= 2 && (!strcmp(mode, "attached") || !strcmp(mode, "detached")) &&
           (!strcmp(network, "none") || !strcmp(network, "host") || !strcmp(network, "bridge"));
  if (ok) {
    hints.detached = !strcmp(mode, "detached");
    hints.net_none = !strcmp(network, "none");
    hints.net_bridge = !strcmp(network, "bridge");
    hints.tty = n == 3;
    ok = n == 2 || (n == 3 && !strcmp(extra, "tty") && !hints.detached);
    /* sscanf stops at the first mismatch: the round trip proves nothing trailed. */
    char again[48];
    snprintf(again, sizeof again, "%s:%s%s", mode, network, hints.tty ? ":tty" : "");
    ok = ok && !strcmp(again, hints_text);
  }
  if (!ok) fail("run", EINVAL, "expected attached|detached:none|host|bridge (attached: optionally :tty), got `%s`", hints_text);
  /* fd 4 must be there: it is the only way the config comes. */
  if (fcntl(CONFIG_FD, F_SETFD, FD_CLOEXEC) < 0) fail("fcntl", errno, "config fd %d", CONFIG_FD);
  ignore_terminal_signals();
  if (!hints.detached) {
    /* Attached: if the node process dies (even SIGKILL), we die, and so does the container. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
    return start(&hints, -1);
  }
  return fork_monitor(&hints);
}
