/* The status protocol on fd 3: one line per event (pid, monitor, warn, error, exit). */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int g_status_fd = -1;
int g_error_fd = -1;
static int g_trace; /* ISOBENCH_HELPER_TRACE=1: `trace <label> <ns>` lines for bench/profile-launch.ts */

/* fd 3 is the status pipe when the TS side passed one; otherwise lines go to stderr. */
void status_init(void) {
  stamps_start();
  if (fcntl(3, F_GETFD) >= 0) {
    g_status_fd = 3;
    /* CLOEXEC so the workload never inherits our status pipe. */
    fcntl(3, F_SETFD, FD_CLOEXEC);
  } else {
    g_status_fd = 2;
  }
  g_error_fd = g_status_fd;
  const char *trace = getenv("ISOBENCH_HELPER_TRACE");
  g_trace = trace && strcmp(trace, "1") == 0;
  trace_mark("main");
}

void trace_mark(const char *label) {
  if (!g_trace || g_status_fd < 0) return;
  char buf[96];
  /* CLOCK_MONOTONIC (monotonic_ns): the clock of node's process.hrtime, so stamps line up with the caller's. */
  int n = snprintf(buf, sizeof buf, "trace %s %lld\n", label, monotonic_ns());
  if (write(g_status_fd, buf, (size_t)n) < 0) {
    /* Tracing is best effort. */
  }
}

/* One write() per line: lines under PIPE_BUF are atomic on a pipe, so writers never interleave. */
static void emit(int fd, const char *prefix, const char *fmt, va_list ap) {
  char buf[3072];
  if (fd < 0) return;
  size_t cap = sizeof buf - 1; /* room for the newline */
  int n = snprintf(buf, cap, "%s", prefix);
  vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
  size_t len = strlen(buf);
  /* A newline inside a message would split the line: flatten it. */
  for (size_t i = 0; i < len; i++)
    if (buf[i] == '\n') buf[i] = ' ';
  buf[len++] = '\n';
  ssize_t w;
  do w = write(fd, buf, len);
  while (w < 0 && errno == EINTR);
}

void status_line(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(g_status_fd, "", fmt, ap);
  va_end(ap);
}

void warn_line(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(g_status_fd, "warn ", fmt, ap);
  va_end(ap);
}

static void emit_error(const char *syscall, int err, const char *fmt, va_list ap) {
  char msg[2048];
  vsnprintf(msg, sizeof msg, fmt, ap);
  char prefix[96];
  snprintf(prefix, sizeof prefix, "error %s %d ", syscall, err);
  char line[2400];
  if (err != 0)
    snprintf(line, sizeof line, "%s%s: %s", prefix, msg, strerror(err));
  else
    snprintf(line, sizeof line, "%s%s", prefix, msg);
  size_t len = strlen(line);
  for (size_t i = 0; i < len; i++)
    if (line[i] == '\n') line[i] = ' ';
  line[len++] = '\n';
  if (g_error_fd < 0) return;
  ssize_t w;
  do w = write(g_error_fd, line, len);
  while (w < 0 && errno == EINTR);
}

/* `error <syscall> <errno> <message>: <strerror>`, the message naming the syscall's argument. */
void report_error(const char *syscall, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit_error(syscall, err, fmt, ap);
  va_end(ap);
}

_Noreturn void fail(const char *syscall, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit_error(syscall, err, fmt, ap);
  va_end(ap);
  _exit(EXIT_SETUP_FAILED);
}
