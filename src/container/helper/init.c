/* --init: `isobench-init ERRFD -- CMD...`, the container's PID 1 (as tini / docker-init). The helper
 * binary execs itself here (process.c, exec_init) after the workload's credentials, capabilities
 * and seccomp filter are in place, so the init has no more rights than the workload. It forks the
 * workload, forwards every signal it gets to it, reaps every process that ends up its child
 * (orphans are reparented to PID 1), and exits with the workload's status once it has ended. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Signals left alone: faults are the init's own (default action), TTIN/TTOU ignored (tcsetpgrp). */
static int forwarded(int sig) {
  switch (sig) {
  case SIGFPE:
  case SIGILL:
  case SIGSEGV:
  case SIGBUS:
  case SIGABRT:
  case SIGTRAP:
  case SIGSYS:
  case SIGTTIN:
  case SIGTTOU:
  case SIGKILL:
  case SIGSTOP: return 0;
  default: return 1;
  }
}

/* The workload's side of the fork: its own process group, in the foreground of the terminal when
 * there is one (so Ctrl-C on a pty signals the workload, not us), then execvp with our PATH. */
static _Noreturn void start_workload(int errfd, char **argv, const sigset_t *none) {
  if (setpgid(0, 0) == 0 && isatty(0)) {
    /* SIGTTOU is blocked: a background group may take the foreground without being stopped. */
    if (tcsetpgrp(0, getpid()) < 0 && errno != ENOTTY) {
      /* Not our terminal (no session of ours): the workload still runs, in its own group. */
    }
  }
  /* The error pipe closes on a successful execve: EOF tells the monitor the workload runs. */
  fcntl(errfd, F_SETFD, FD_CLOEXEC);
  sigprocmask(SIG_SETMASK, none, NULL);
  signal(SIGTTIN, SIG_DFL);
  signal(SIGTTOU, SIG_DFL);
  execvp(argv[0], argv);
  int err = errno;
  /* Same line, same exit codes as without --init (process.c): the caller sees 127/126. */
  g_error_fd = errfd;
  report_error("execve", err, "exec `%s`", argv[0]);
  _exit(err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

int cmd_init(int argc, char **argv) {
  char *end;
  long errfd = argc >= 4 ? strtol(argv[1], &end, 10) : -1;
  if (argc < 4 || *end || errfd < 0 || strcmp(argv[2], "--") != 0) return EXIT_SETUP_FAILED;
  /* execveat from an fd names us after the fd number: a name ps shows. */
  prctl(PR_SET_NAME, INIT_ARGV0, 0, 0, 0);
  sigset_t all, none;
  sigemptyset(&none);
  sigfillset(&all);
  for (int sig = 1; sig < NSIG; sig++)
    if (!forwarded(sig)) sigdelset(&all, sig);
  sigaddset(&all, SIGTTIN);
  sigaddset(&all, SIGTTOU);
  /* Blocked, then taken with sigwaitinfo: PID 1 drops signals it has no handler for, but a
   * blocked signal is never dropped (kernel/signal.c, sig_ignored). */
  sigprocmask(SIG_SETMASK, &all, NULL);
  signal(SIGTTIN, SIG_IGN);
  signal(SIGTTOU, SIG_IGN);
  pid_t child = fork();
  if (child < 0) {
    g_error_fd = (int)errfd;
    report_error("fork", errno, "the workload of the init");
    return EXIT_SETUP_FAILED;
  }
  if (child == 0) start_workload((int)errfd, argv + 3, &none);
  /* Ours closed: the pipe reaches EOF when the workload's execve closes its copy (CLOEXEC). */
  close((int)errfd);
  sigdelset(&all, SIGTTIN);
  sigdelset(&all, SIGTTOU);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(child, sig);
      continue;
    }
    /* Every child that has ended, the workload's orphans included. */
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != child) continue;
      /* As a shell reports it; our exit ends the pid namespace, and the kernel kills the rest. */
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return WEXITSTATUS(status);
    }
  }
}
