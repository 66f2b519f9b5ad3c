/* The monitor: the helper process that outlives setup, forwards signals, reaps the workload and
 * records how it ended. Kept tiny: an idle detached container costs only this process. */
#define _XOPEN_SOURCE 700
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t g_child;

static void forward_signal(int sig) {
  /* kill: pass the signal on; PID 1 of a pid namespace only gets those it handles. */
  if (g_child > 0) kill(g_child, sig);
}

static const int FORWARDED[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};

/* Blocks the forwarded signals across clone so none arrives before we know the child's pid. */
void monitor_block_signals(sigset_t *saved) {
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < 4; i++) sigaddset(&set, FORWARDED[i]);
  sigprocmask(SIG_BLOCK, &set, saved);
}

void monitor_install_handlers(pid_t child, const sigset_t *saved) {
  g_child = child;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < 4; i++) sigaction(FORWARDED[i], &sa, NULL);
  sigprocmask(SIG_SETMASK, saved, NULL);
}

/* waitpid until the child is gone; returns its raw status. */
int monitor_wait(pid_t child, int *status) {
  pid_t r;
  do r = waitpid(child, status, 0);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

/* Shell convention: the exit code, or 128+signal. */
int monitor_exit_code(int status, int *signo) {
  *signo = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return *signo ? 128 + *signo : WEXITSTATUS(status);
}

/* Reads the child's error pipe to EOF (EOF = execve succeeded: the pipe was CLOEXEC).
 * Forwards an error line to the status fd; returns 1 if there was one. */
int read_child_error(int fd) {
  char buf[2600];
  size_t got = 0;
  for (;;) {
    ssize_t n = read(fd, buf + got, sizeof buf - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || (got += (size_t)n) == sizeof buf) break;
  }
  close(fd);
  if (got == 0) return 0;
  ssize_t w;
  do w = write(g_status_fd, buf, got);
  while (w < 0 && errno == EINTR);
  return 1;
}

/* "<code> <signo>\n", written to a temp file and renamed so readers never see half of it. */
void monitor_write_exit_file(const char *path, int code, int signo) {
  char tmp[4200], line[64];
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  int len = snprintf(line, sizeof line, "%d %d\n", code, signo);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return;
  int ok = write(fd, line, (size_t)len) == len && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp, path) < 0) unlink(tmp);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  /* Depth-first: children go before their dir; rmdir for dirs, unlink for the rest. */
  if (type == FTW_DP) rmdir(path);
  else unlink(path);
  return 0;
}

/* --rm: delete the container's dirs, then its cgroups (retrying while the kernel still counts
 * the exiting tasks: rmdir fails with EBUSY until they are fully gone). */
void monitor_cleanup(const struct config *cfg) {
  for (size_t i = 0; i < cfg->rm_dirs.len; i++)
    nftw(cfg->rm_dirs.items[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  for (size_t i = 0; i < cfg->rm_cgroups.len; i++) {
    for (int attempt = 0; attempt < 200; attempt++) {
      if (rmdir(cfg->rm_cgroups.items[i]) == 0 || errno != EBUSY) break;
      struct timespec ts = {0, 10 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
  }
}
