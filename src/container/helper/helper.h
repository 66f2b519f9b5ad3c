/* isobench-helper: shared declarations of the tiny container helper (run, exec, overlay marks). */
#ifndef ISOBENCH_HELPER_H
#define ISOBENCH_HELPER_H

#define _GNU_SOURCE
#include <linux/filter.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Exit codes the helper uses for its own failures (Docker's convention). */
#define EXIT_SETUP_FAILED 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

/* A growable NULL-terminated list of strings pointing into the config buffer. */
struct strlist {
  const char **items;
  size_t len;
};

/* A bind mount (source set) or a tmpfs mount (tmpfs set: its options, see mounts.c). */
struct bind_mount {
  const char *source;
  const char *target;
  int readonly;
  const char *tmpfs;
};

struct rlimit_entry {
  int resource;
  const char *name;
  rlim_t soft;
  rlim_t hard;
  int strict; /* --ulimit: EPERM is an error naming it (a default is clamped instead) */
};

/* A container's end of a bridge network (net.c parses `net_veth`). */
struct net_veth {
  char host_if[16], bridge[16];
  struct in_addr address, gateway;
  int prefix;
};

/* The parsed config file; see config.c for the on-disk format. */
struct config {
  const char *path;
  int detached;
  int net_none;
  int net_bridge;       /* network "bridge": a new net namespace with a veth pair (net.c) */
  const char *net_veth; /* "HOSTIF BRIDGE ADDRESS PREFIX GATEWAY", parsed by net_parse_veth */
  struct strlist publish; /* "tcp|udp HOSTIP HOSTPORT CPORT" each, relayed by proxy.c */
  const char *rootfs, *upper, *work, *hostname, *cwd;
  struct strlist lowers, args, env, cgroup_procs, rm_dirs, rm_cgroups;
  uid_t uid;
  gid_t gid;
  gid_t *gids;
  size_t n_gids;
  struct bind_mount *binds;
  size_t n_binds;
  int readonly_rootfs; /* --read-only: the root mount read-only once everything is mounted */
  struct rlimit_entry *rlimits;
  size_t n_rlimits;
  const char *stdout_log, *stderr_log, *exit_file;
  pid_t parent_pid; /* the node process that spawned us (0: unknown) */
  pid_t target_pid; /* exec: the container's init */
  /* The seccomp filter the workload gets (NULL: none), loaded last before execve. */
  struct sock_filter *seccomp;
  unsigned short seccomp_len;
  unsigned seccomp_flags; /* SECCOMP_FILTER_FLAG_LOG / _SPEC_ALLOW */
  /* Interactive runs (tty.c, init.c): a pty for the workload; the init as PID 1; /dev/shm's size. */
  int tty;
  int init;
  int init_fd;                /* with init: the helper binary, opened before pivot_root */
  unsigned long long shm_size; /* bytes; 0: the default 64 MiB */
  /* Capability bits the workload keeps (`caps`); without the key, Docker's default set. */
  unsigned long long caps;
  int caps_given;
  /* `no_new_privs 0`: leave PR_SET_NO_NEW_PRIVS off (it is on without the key). */
  int new_privs_allowed;
};

/* status.c: the line protocol on fd 3 and error reporting. */
extern int g_status_fd; /* where pid/warn/exit lines go; -1 if none */
extern int g_error_fd;  /* where an `error` line goes (fd 3, or the child's error pipe) */
void status_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_error(const char *syscall, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
_Noreturn void fail(const char *syscall, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void status_init(void);
void trace_mark(const char *label); /* no-op unless ISOBENCH_HELPER_TRACE=1 */

/* stamps.c: coarse launch stamps, always on: `stamps START NAMESPACES ROOTFS EXEC` just before `pid N`. */
enum stamp { STAMP_HELPER_START, STAMP_NAMESPACES, STAMP_ROOTFS, STAMP_EXEC };
long long monotonic_ns(void);
void stamps_start(void);     /* at main(): the helper-start stamp */
void stamps_share(void);     /* before the clone: a page the child's stamps reach us through */
void stamp_mark(enum stamp which); /* no-op until stamps_share (e.g. in `exec`) */
void status_pid_line(pid_t child); /* `stamps` (when all are there) + `pid` lines in one write() */

/* config.c: which subcommand a config is for (a key of the other one is an error, not ignored). */
enum config_kind { CONFIG_RUN, CONFIG_EXEC };
void config_load(struct config *cfg, const char *path, enum config_kind kind);
void config_parse(struct config *cfg, char *buf, size_t size, const char *label, enum config_kind kind);
void config_free(struct config *cfg);
char *config_read_fd(int fd, size_t *size, const char *label);

/* safepath.c: walk below a dir fd without following symlinks. */
int open_dir_beneath(int dirfd, const char *rel, int create, const char **last);
int open_path_beneath(int dirfd, const char *rel);

/* rootfs.c */
void rootfs_mount_overlay(const struct config *cfg);
void rootfs_mount_specials(const struct config *cfg);
void rootfs_pivot(const char *rootfs);
void rootfs_mask_paths(void);

/* mounts.c: bind and tmpfs mounts of the config, --read-only. */
const char *fd_path(int fd); /* rootfs.c: "/proc/self/fd/N" in a static buffer */
/* config.c: a `tmpfs` record's options as mount flags and tmpfs data; -1 with *why when refused. */
int tmpfs_options(const char *opts, unsigned long *flags, char *data, size_t cap, const char **why);
unsigned long mount_flags_to_keep(const char *path);
void mounts_apply(int rootfd, const struct config *cfg);
void mounts_readonly_root(const struct config *cfg);

/* cgroup.c */
void cgroup_join_self(const char *procs_file);

/* devices.c */
void devices_setup(int rootfd, unsigned long long shm_size);

/* net.c */
void net_bring_lo_up(void);
void net_parse_veth(const char *value, struct net_veth *out, const char *label);
void net_create_veth(const struct net_veth *v, pid_t child);
void net_configure_eth0(const struct net_veth *v);

/* proxy.c: published ports, relayed by a process the monitor forks (and kills). */
void proxy_start(const struct config *cfg, const struct net_veth *veth);
void proxy_stop(void);

/* caps.c */
void caps_limit_bounding(const struct config *cfg);
void caps_apply_after_setuid(uid_t uid);

/* process.c: the last steps before execve, shared by run and exec. */
void process_apply_rlimits(const struct config *cfg);
_Noreturn void process_finish_and_exec(const struct config *cfg, int ensure_cwd);

/* tty.c: -t. The child makes a pty in the container's devpts its terminal and sends the master
 * over `sock`; the monitor relays between its own stdio and the master until the workload is gone. */
void tty_socketpair(int sv[2]);
void tty_child_setup(int sock, uid_t uid);
void tty_monitor_arm(void); /* before the workload runs: SIGWINCH and the raw-mode restore on parent death */
int tty_monitor_relay(int sock);

/* init.c: --init, the reaper run as the container's PID 1 (argv[0] `isobench-init`). */
#define INIT_ARGV0 "isobench-init"
int cmd_init(int argc, char **argv);

/* seccomp.c */
void seccomp_install(const struct config *cfg);

/* sealed-exe.c: re-exec from a sealed memfd copy of ourselves (CVE-2019-5736); returns in the copy. */
void sealed_exe_reexec(char **argv);

/* monitor.c */
void monitor_block_signals(sigset_t *saved);
void monitor_install_handlers(pid_t child, const sigset_t *saved);
int monitor_wait(pid_t child, int *status);
int monitor_exit_code(int status, int *signo);
void monitor_write_exit_file(const char *path, int code, int signo);
void monitor_cleanup(const struct config *cfg);
int read_child_error(int fd);

/* run.c / exec.c / marks.c: subcommands. */
int cmd_run(const char *hints); /* MODE:NETWORK; the config comes on fd 4 */
int cmd_exec(const char *config_path);
int cmd_overlay_marks(const char *dir);
int cmd_opaque_dirs(const char *dir);

#endif
