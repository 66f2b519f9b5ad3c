/* Always-on coarse launch stamps (CLOCK_MONOTONIC ns), sent as a `stamps` line with the `pid` line. */
#include "helper.h"

#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* [0] helper start, [1] namespaces (the clone child runs), [2] rootfs ready, [3] exec. */
#define N_STAMPS 4

static long long g_start_ns;
/* Shared with the clone child: its stores reach the monitor (clone without CLONE_VM copies private memory). */
static long long *g_stamps;

long long monotonic_ns(void) {
  struct timespec ts;
  /* CLOCK_MONOTONIC: the clock of node's process.hrtime; clock_gettime is a vDSO call, no syscall. */
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void stamps_start(void) {
  g_start_ns = monotonic_ns();
}

void stamps_share(void) {
  /* mmap MAP_SHARED: the one page both sides of the clone see; runs before the clone, off the child's path. */
  void *page = mmap(NULL, N_STAMPS * sizeof *g_stamps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return; /* best effort: the `pid` line goes without stamps */
  g_stamps = page;
  g_stamps[STAMP_HELPER_START] = g_start_ns;
}

void stamp_mark(enum stamp which) {
  if (g_stamps) g_stamps[which] = monotonic_ns();
}

void status_pid_line(pid_t child) {
  char buf[160];
  int n = 0;
  /* Read after EOF on the child's error pipe: its execve came after its last stamp. */
  if (g_stamps && g_stamps[STAMP_NAMESPACES] && g_stamps[STAMP_ROOTFS] && g_stamps[STAMP_EXEC])
    n = snprintf(buf, sizeof buf, "stamps %lld %lld %lld %lld\n", g_stamps[STAMP_HELPER_START],
                 g_stamps[STAMP_NAMESPACES], g_stamps[STAMP_ROOTFS], g_stamps[STAMP_EXEC]);
  /* Both lines in one write(): atomic on the pipe (< PIPE_BUF), and `pid N` stays as it always was. */
  n += snprintf(buf + n, sizeof buf - (size_t)n, "pid %d\n", (int)child);
  if (g_status_fd >= 0) {
    ssize_t w;
    do w = write(g_status_fd, buf, (size_t)n);
    while (w < 0 && errno == EINTR);
  }
  if (!g_stamps) return;
  /* munmap once reported: the resident monitor must not carry the page in every memory sample. */
  munmap(g_stamps, N_STAMPS * sizeof *g_stamps);
  g_stamps = NULL;
}
