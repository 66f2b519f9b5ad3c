/* The workload's last steps, shared by run and exec: limits, ids, caps, cwd, signals, execve. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* setrlimit as asked. Past the hard limit we may not raise (no CAP_SYS_RESOURCE): a default is
 * clamped, a --ulimit the user gave is an error naming it. */
void process_apply_rlimits(const struct config *cfg) {
  for (size_t i = 0; i < cfg->n_rlimits; i++) {
    const struct rlimit_entry *e = &cfg->rlimits[i];
    struct rlimit want = {e->soft, e->hard};
    if (setrlimit(e->resource, &want) == 0) continue;
    if (errno != EPERM) fail("setrlimit", errno, "%s %llu:%llu", e->name, (unsigned long long)e->soft,
                             (unsigned long long)e->hard);
    struct rlimit cur;
    if (getrlimit(e->resource, &cur) < 0) fail("getrlimit", errno, "%s", e->name);
    if (e->strict)
      fail("setrlimit", EPERM, "--ulimit %s=%llu:%llu: above the hard limit %llu, which this host does not let us raise",
           e->name, (unsigned long long)e->soft, (unsigned long long)e->hard, (unsigned long long)cur.rlim_max);
    if (want.rlim_max > cur.rlim_max) want.rlim_max = cur.rlim_max;
    if (want.rlim_cur > want.rlim_max) want.rlim_cur = want.rlim_max;
    if (setrlimit(e->resource, &want) < 0)
      fail("setrlimit", errno, "%s %llu:%llu (clamped)", e->name, (unsigned long long)want.rlim_cur,
           (unsigned long long)want.rlim_max);
  }
}

/* mkdir -p inside the container root, as runc does for a missing working dir. */
static void make_dirs(const char *path) {
  char buf[PATH_MAX];
  if (strlen(path) >= sizeof buf) fail("mkdir", ENAMETOOLONG, "cwd `%s`", path);
  strcpy(buf, path);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(buf, 0755) < 0 && errno != EEXIST) fail("mkdir", errno, "cwd `%s`", buf);
      *p = c;
      if (c == '\0') break;
    }
  }
}

static _Noreturn void exec_failed(const char *file, int err, const char *detail) {
  report_error("execve", err, "exec `%s`%s", file, detail);
  _exit(err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/* --init: execveat of the helper binary opened before pivot_root (the image needs nothing), as
 * `isobench-init ERRFD -- ARGS...`; it keeps the error pipe to report the workload's own execve. */
static _Noreturn void exec_init(const struct config *cfg) {
  char **argv = calloc(cfg->args.len + 4, sizeof *argv);
  char fd_text[16];
  if (!argv) fail("malloc", ENOMEM, "init argv");
  snprintf(fd_text, sizeof fd_text, "%d", g_error_fd);
  argv[0] = INIT_ARGV0;
  argv[1] = fd_text;
  argv[2] = "--";
  for (size_t i = 0; i < cfg->args.len; i++) argv[3 + i] = (char *)cfg->args.items[i];
  char *empty[] = {NULL};
  char *const *envp = cfg->env.len ? (char *const *)cfg->env.items : empty;
  /* The error pipe must survive this execve (and only this one: the init sets CLOEXEC again). */
  if (fcntl(g_error_fd, F_SETFD, 0) < 0) fail("fcntl", errno, "error pipe for the init");
  syscall(SYS_execveat, cfg->init_fd, "", argv, envp, AT_EMPTY_PATH);
  int err = errno;
  fcntl(g_error_fd, F_SETFD, FD_CLOEXEC);
  fail("execveat", err, "the init (the isobench helper binary, fd %d)", cfg->init_fd);
}

/* execve, searching the container's PATH (not ours) when argv[0] has no '/'. */
static _Noreturn void exec_workload(const struct config *cfg) {
  if (cfg->init) exec_init(cfg);
  const char *file = cfg->args.items[0];
  char *const *argv = (char *const *)cfg->args.items;
  char *empty[] = {NULL};
  char *const *envp = cfg->env.len ? (char *const *)cfg->env.items : empty;
  if (strchr(file, '/')) {
    execve(file, argv, envp);
    exec_failed(file, errno, "");
  }
  const char *search = DEFAULT_PATH;
  for (size_t i = 0; i < cfg->env.len; i++)
    if (strncmp(cfg->env.items[i], "PATH=", 5) == 0) search = cfg->env.items[i] + 5;
  int denied = 0;
  char candidate[PATH_MAX];
  for (const char *p = search; *file;) {
    const char *colon = strchrnul(p, ':');
    int dirlen = (int)(colon - p);
    snprintf(candidate, sizeof candidate, "%.*s%s%s", dirlen, p, dirlen ? "/" : "", file);
    execve(candidate, argv, envp);
    /* Like execvp: keep looking past missing files; remember a permission failure. */
    if (errno == EACCES) denied = 1;
    else if (errno != ENOENT && errno != ENOTDIR) exec_failed(candidate, errno, "");
    if (*colon == '\0') break;
    p = colon + 1;
  }
  char detail[PATH_MAX + 64];
  snprintf(detail, sizeof detail, ": executable file not found in PATH `%s`", search);
  exec_failed(file, denied ? EACCES : ENOENT, detail);
}

/* CVE-2024-21626: a cwd such as /proc/self/fd/N names whatever our fd N is, perhaps a host dir
 * outside the container's root. The kernel's getcwd(2) then answers "(unreachable)...", not an
 * absolute path: refuse it. The raw syscall, so no libc turns that answer into something else. */
static void require_cwd_inside_root(const char *cwd) {
  char buf[PATH_MAX];
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  if (n < 0) fail("getcwd", errno, "cwd `%s`", cwd);
  if (buf[0] != '/') fail("chdir", EXDEV, "cwd `%s` is outside the container's root", cwd);
}

_Noreturn void process_finish_and_exec(const struct config *cfg, int ensure_cwd) {
  if (ensure_cwd) make_dirs(cfg->cwd);
  trace_mark("rlimits_cwd");
  caps_limit_bounding(cfg);
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which capset below takes away:
   * load it now (as runc does). The steps after it are all syscalls Docker's profile allows. */
  if (cfg->new_privs_allowed) seccomp_install(cfg);
  /* Supplementary groups first: setgroups needs CAP_SETGID, which setuid to non-root drops. */
  if (setgroups(cfg->n_gids, cfg->gids) < 0) fail("setgroups", errno, "%zu groups", cfg->n_gids);
  if (setgid(cfg->gid) < 0) fail("setgid", errno, "gid %u", (unsigned)cfg->gid);
  if (setuid(cfg->uid) < 0) fail("setuid", errno, "uid %u", (unsigned)cfg->uid);
  caps_apply_after_setuid(cfg->uid);
  /* no_new_privs (unless turned off): setuid binaries and file caps cannot regain what we dropped. */
  if (!cfg->new_privs_allowed && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_NO_NEW_PRIVS");
  if (chdir(cfg->cwd) < 0) fail("chdir", errno, "cwd `%s`", cfg->cwd);
  require_cwd_inside_root(cfg->cwd);
  umask(022);
  /* Ignored signals stay ignored across execve: give the workload default dispositions. */
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* The credential change cleared the parent-death signal: set it again (the helper is our parent). */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
  /* Whatever fd we might have missed, the workload must not inherit it. */
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  /* Last: after caps, ids and no_new_privs, so nothing above runs under the workload's filter. */
  if (!cfg->new_privs_allowed) seccomp_install(cfg);
  stamp_mark(STAMP_EXEC);
  trace_mark("exec");
  exec_workload(cfg);
}
