/* isobench-probe: the one workload binary every target runs (native, container, VM, peers),
 * so that differences come from the isolation, not from the program. Static, no libc state
 * beyond stdio. Steps run left to right:
 *   ready[=MARKER]     print MARKER (default ISOBENCH-READY) with CLOCK_MONOTONIC ns, flush
 *   sleep=MS           sleep MS milliseconds
 *   alloc=MIB          allocate MIB MiB and touch every page (kept until exit)
 *   write=MIB[:PATH]   write MIB MiB to PATH (default ./isobench-probe.dat), fsync, report MB/s
 *   randwrite=MIB[:PATH] 4 KiB writes at random offsets in a MIB MiB file, fsync each 256
 *   compute=N          N rounds of a fixed integer workload (xorshift + sum), report result
 *   syscalls=N         N getppid(2) calls (raw, never cached by libc), report ns per call: the
 *                      cost every syscall pays for a seccomp filter
 *   idle               report the kernel's memory view (/proc/meminfo MemTotal, MemAvailable), then
 *                      pause() until a signal: in a VM guest this is the guest's own view while the
 *                      probe holds everything it allocated (natively and in a container, the host's)
 *   exit=N             exit with status N
 * Every report is one line: `isobench-probe <step> key=value ...`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *arg) {
  fprintf(stderr, "isobench-probe: %s `%s`: %s\n", what, arg, strerror(errno));
  exit(70);
}

static long parse_num(const char *s, const char *step) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || (*end && *end != ':') || v < 0) {
    fprintf(stderr, "isobench-probe: expected a non-negative integer for `%s`, got `%s`\n", step, s);
    exit(64);
  }
  return v;
}

static void step_alloc(long mib) {
  size_t bytes = (size_t)mib << 20;
  char *p = malloc(bytes ? bytes : 1);
  if (!p) die("malloc", "alloc");
  long page = sysconf(_SC_PAGESIZE);
  /* Touch every page so the memory is resident, not just reserved. */
  for (size_t i = 0; i < bytes; i += (size_t)page) p[i] = (char)i;
  printf("isobench-probe alloc mib=%ld\n", mib);
}

static const char *path_of(const char *arg) {
  const char *colon = strchr(arg, ':');
  return colon ? colon + 1 : "isobench-probe.dat";
}

static void step_write(const char *arg, int random_io) {
  long mib = parse_num(arg, random_io ? "randwrite" : "write");
  const char *path = path_of(arg);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("open", path);
  static char buf[1 << 16];
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(i * 131);
  uint64_t t0 = now_ns();
  uint64_t total = (uint64_t)mib << 20;
  if (!random_io) {
    for (uint64_t done = 0; done < total; done += sizeof buf)
      if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) die("write", path);
    if (fsync(fd)) die("fsync", path);
  } else {
    if (ftruncate(fd, (off_t)total)) die("ftruncate", path);
    uint64_t blocks = total / 4096, x = 88172645463325252ull;
    for (uint64_t i = 0; i < blocks; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      if (pwrite(fd, buf, 4096, (off_t)((x % (blocks ? blocks : 1)) * 4096)) != 4096) die("pwrite", path);
      if (i % 256 == 255 && fsync(fd)) die("fsync", path);
    }
    if (fsync(fd)) die("fsync", path);
  }
  uint64_t ns = now_ns() - t0;
  close(fd);
  printf("isobench-probe %s mib=%ld ns=%llu bytes_per_s=%.0f\n", random_io ? "randwrite" : "write", mib,
         (unsigned long long)ns, ns ? (double)total * 1e9 / (double)ns : 0.0);
}

static void step_compute(long rounds) {
  uint64_t x = 2463534242ull, sum = 0, t0 = now_ns();
  for (long r = 0; r < rounds; r++)
    for (int i = 0; i < 1000000; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      sum += x & 0xff;
    }
  printf("isobench-probe compute rounds=%ld ns=%llu result=%llu\n", rounds, (unsigned long long)(now_ns() - t0),
         (unsigned long long)sum);
}

static void step_syscalls(long calls) {
  uint64_t t0 = now_ns();
  for (long i = 0; i < calls; i++) syscall(SYS_getppid);
  uint64_t ns = now_ns() - t0;
  printf("isobench-probe syscalls calls=%ld ns=%llu ns_per_call=%.1f\n", calls, (unsigned long long)ns,
         calls ? (double)ns / (double)calls : 0.0);
}

/* Read once the workload is ready, so an allocation before `ready` is in it; silent without /proc. */
static void report_meminfo(void) {
  FILE *f = fopen("/proc/meminfo", "re");
  if (!f) return;
  char line[256];
  unsigned long long v, total = 0, available = 0;
  int found = 0;
  while (found != 3 && fgets(line, sizeof line, f)) {
    if (sscanf(line, "MemTotal: %llu kB", &v) == 1) total = v, found |= 1;
    else if (sscanf(line, "MemAvailable: %llu kB", &v) == 1) available = v, found |= 2;
  }
  fclose(f);
  if (found == 3) printf("isobench-probe meminfo total_kb=%llu available_kb=%llu\n", total, available);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) {
    fprintf(stderr, "usage: isobench-probe STEP...  (ready[=M] sleep=MS alloc=MIB write=MIB[:PATH] "
                    "randwrite=MIB[:PATH] compute=N syscalls=N idle exit=N)\n");
    return 64;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *eq = strchr(a, '=');
    const char *val = eq ? eq + 1 : "";
    if (!strncmp(a, "ready", 5) && (a[5] == 0 || a[5] == '=')) {
      printf("%s %llu\n", *val ? val : "ISOBENCH-READY", (unsigned long long)now_ns());
    } else if (!strncmp(a, "sleep=", 6)) {
      long ms = parse_num(val, "sleep");
      struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
      while (nanosleep(&ts, &ts) && errno == EINTR) {}
    } else if (!strncmp(a, "alloc=", 6)) {
      step_alloc(parse_num(val, "alloc"));
    } else if (!strncmp(a, "write=", 6)) {
      step_write(val, 0);
    } else if (!strncmp(a, "randwrite=", 10)) {
      step_write(val, 1);
    } else if (!strncmp(a, "compute=", 8)) {
      step_compute(parse_num(val, "compute"));
    } else if (!strncmp(a, "syscalls=", 9)) {
      step_syscalls(parse_num(val, "syscalls"));
    } else if (!strcmp(a, "idle")) {
      report_meminfo();
      pause();
    } else if (!strncmp(a, "exit=", 5)) {
      fflush(stdout);
      return (int)parse_num(val, "exit");
    } else {
      fprintf(stderr, "isobench-probe: unknown step `%s`\n", a);
      return 64;
    }
  }
  return 0;
}
