/* Parses the config file the TS side writes: a flat list of `key\0value\0` records.
 * Repeated keys build lists (arg, env, lower, ...); unknown keys are errors. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (1 << 20)

static const char *g_path;

static _Noreturn void bad(const char *key, const char *what) {
  fail("config", EINVAL, "config `%s`: key `%s`: %s", g_path, key, what);
}

static void *grow(void *p, size_t n, size_t size) {
  void *q = realloc(p, (n + 1) * size);
  if (!q) fail("malloc", ENOMEM, "config `%s`", g_path);
  return q;
}

static void push(struct strlist *l, const char *v) {
  l->items = grow(l->items, l->len + 1, sizeof *l->items);
  l->items[l->len++] = v;
  l->items[l->len] = NULL;
}

static unsigned long long parse_u64(const char *key, const char *v, unsigned long long max) {
  char *end;
  if (*v < '0' || *v > '9') bad(key, "expected a decimal number");
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno || *end || n > max) bad(key, "expected a decimal number in range");
  return n;
}

static void require_abs(const char *key, const char *v) {
  if (v[0] != '/') bad(key, "expected an absolute path");
}

static const struct {
  const char *name;
  int resource;
} RLIMITS[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

/* `rlimit` value: "NAME SOFT HARD", e.g. "nofile 1048576 1048576". */
static void parse_rlimit(struct config *cfg, char *v) {
  char *soft = strchr(v, ' ');
  if (!soft) bad("rlimit", "expected `NAME SOFT HARD`");
  *soft++ = '\0';
  char *hard = strchr(soft, ' ');
  if (!hard) bad("rlimit", "expected `NAME SOFT HARD`");
  *hard++ = '\0';
  for (size_t i = 0; i < sizeof RLIMITS / sizeof RLIMITS[0]; i++) {
    if (strcmp(RLIMITS[i].name, v) != 0) continue;
    cfg->rlimits = grow(cfg->rlimits, cfg->n_rlimits + 1, sizeof *cfg->rlimits);
    struct rlimit_entry *e = &cfg->rlimits[cfg->n_rlimits++];
    e->resource = RLIMITS[i].resource;
    e->name = RLIMITS[i].name;
    e->soft = parse_u64("rlimit", soft, RLIM_INFINITY);
    e->hard = parse_u64("rlimit", hard, RLIM_INFINITY);
    if (e->soft > e->hard) bad("rlimit", "soft limit above hard limit");
    return;
  }
  bad("rlimit", "unknown resource name");
}

static void set_once(const char **slot, const char *key, const char *v) {
  if (*slot) bad(key, "given twice");
  *slot = v;
}

static void apply(struct config *cfg, const char *k, char *v) {
  if (!strcmp(k, "version")) {
    if (strcmp(v, "1")) bad(k, "unsupported version (expected 1)");
  } else if (!strcmp(k, "mode")) {
    if (!strcmp(v, "detached")) cfg->detached = 1;
    else if (strcmp(v, "attached")) bad(k, "expected attached or detached");
  } else if (!strcmp(k, "network")) {
    if (!strcmp(v, "none")) cfg->net_none = 1;
    else if (strcmp(v, "host")) bad(k, "expected none or host");
  } else if (!strcmp(k, "rootfs")) require_abs(k, v), set_once(&cfg->rootfs, k, v);
  else if (!strcmp(k, "upper")) require_abs(k, v), set_once(&cfg->upper, k, v);
  else if (!strcmp(k, "work")) require_abs(k, v), set_once(&cfg->work, k, v);
  else if (!strcmp(k, "lower")) require_abs(k, v), push(&cfg->lowers, v);
  else if (!strcmp(k, "hostname")) set_once(&cfg->hostname, k, v);
  else if (!strcmp(k, "cwd")) require_abs(k, v), set_once(&cfg->cwd, k, v);
  else if (!strcmp(k, "uid")) cfg->uid = (uid_t)parse_u64(k, v, 0xfffffffe);
  else if (!strcmp(k, "gid")) cfg->gid = (gid_t)parse_u64(k, v, 0xfffffffe);
  else if (!strcmp(k, "gid_extra")) {
    cfg->gids = grow(cfg->gids, cfg->n_gids + 1, sizeof *cfg->gids);
    cfg->gids[cfg->n_gids++] = (gid_t)parse_u64(k, v, 0xfffffffe);
  } else if (!strcmp(k, "arg")) push(&cfg->args, v);
  else if (!strcmp(k, "env")) {
    if (!strchr(v, '=')) bad(k, "expected KEY=VALUE");
    push(&cfg->env, v);
  } else if (!strcmp(k, "cgroup_procs")) require_abs(k, v), push(&cfg->cgroup_procs, v);
  else if (!strcmp(k, "bind_ro") || !strcmp(k, "bind_rw")) {
    require_abs(k, v);
    cfg->binds = grow(cfg->binds, cfg->n_binds + 1, sizeof *cfg->binds);
    cfg->binds[cfg->n_binds++] = (struct bind_mount){v, NULL, strcmp(k, "bind_ro") == 0};
  } else if (!strcmp(k, "bind_to")) {
    require_abs(k, v);
    if (cfg->n_binds == 0 || cfg->binds[cfg->n_binds - 1].target) bad(k, "must follow bind_ro or bind_rw");
    cfg->binds[cfg->n_binds - 1].target = v;
  } else if (!strcmp(k, "rlimit")) parse_rlimit(cfg, v);
  else if (!strcmp(k, "stdout_log")) require_abs(k, v), set_once(&cfg->stdout_log, k, v);
  else if (!strcmp(k, "stderr_log")) require_abs(k, v), set_once(&cfg->stderr_log, k, v);
  else if (!strcmp(k, "exit_file")) require_abs(k, v), set_once(&cfg->exit_file, k, v);
  else if (!strcmp(k, "rm_dir")) require_abs(k, v), push(&cfg->rm_dirs, v);
  else if (!strcmp(k, "rm_cgroup")) require_abs(k, v), push(&cfg->rm_cgroups, v);
  else if (!strcmp(k, "parent_pid")) cfg->parent_pid = (pid_t)parse_u64(k, v, 0x7fffffff);
  else if (!strcmp(k, "target_pid")) cfg->target_pid = (pid_t)parse_u64(k, v, 0x7fffffff);
  else bad(k, "unknown key");
}

/* Parses `size` bytes at `buf` (NUL-terminated at buf[size]); values point into buf from then on. */
void config_parse(struct config *cfg, char *buf, size_t size, const char *label) {
  memset(cfg, 0, sizeof *cfg);
  cfg->path = g_path = label;
  char *p = buf, *end = buf + size;
  while (p < end) {
    char *k = p;
    char *knul = memchr(k, '\0', (size_t)(end - k));
    if (!knul) fail("config", EINVAL, "config `%s`: truncated record", label);
    char *v = knul + 1;
    char *vnul = v < end ? memchr(v, '\0', (size_t)(end - v)) : NULL;
    if (!vnul) fail("config", EINVAL, "config `%s`: record `%s` has no value", label, k);
    apply(cfg, k, v);
    p = vnul + 1;
  }
  for (size_t i = 0; i < cfg->n_binds; i++)
    if (!cfg->binds[i].target) bad("bind_to", "missing after bind_ro/bind_rw");
  if (cfg->args.len == 0) bad("arg", "at least one required");
  if (!cfg->cwd) cfg->cwd = "/";
}

/* Reads `fd` (a pipe or socket) to EOF, at most CONFIG_MAX_BYTES; *size 0 means nothing came. */
char *config_read_fd(int fd, size_t *size, const char *label) {
  size_t cap = 4096, got = 0;
  char *buf = malloc(cap + 1);
  if (!buf) fail("malloc", ENOMEM, "config `%s`", label);
  for (;;) {
    if (got == cap) {
      if (cap >= CONFIG_MAX_BYTES) fail("read", EFBIG, "config `%s`: over %d bytes", label, CONFIG_MAX_BYTES);
      cap *= 2;
      char *grown = realloc(buf, cap + 1);
      if (!grown) fail("malloc", ENOMEM, "config `%s`", label);
      buf = grown;
    }
    ssize_t n = read(fd, buf + got, cap - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read", errno, "config `%s`", label);
    if (n == 0) break;
    got += (size_t)n;
  }
  buf[got] = '\0';
  *size = got;
  return buf;
}

void config_load(struct config *cfg, const char *path) {
  g_path = path;
  /* Read the whole file once; values point into this buffer for the helper's lifetime. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) fail("open", errno, "config `%s`", path);
  struct stat st;
  if (fstat(fd, &st) < 0) fail("fstat", errno, "config `%s`", path);
  if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES)
    fail("open", EINVAL, "config `%s`: not a regular file of at most %d bytes", path, CONFIG_MAX_BYTES);
  size_t size = (size_t)st.st_size;
  char *buf = malloc(size + 1);
  if (!buf) fail("malloc", ENOMEM, "config `%s`", path);
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read", errno, "config `%s`", path);
    if (n == 0) break;
    got += (size_t)n;
  }
  close(fd);
  buf[got] = '\0';
  config_parse(cfg, buf, got, path);
}
