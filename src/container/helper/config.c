/* Parses the config the TS side writes (src/container/launch/helper-protocol.ts): a flat list of
 * `key\0value\0` records, `version` first. List keys (arg, env, lower, ...) repeat; every other key
 * may appear once. An unknown key, a key of the other subcommand, a repeated key and a malformed
 * value are errors that name the key. NOTE: the input is hostile (the helper runs as root): no
 * length, count or byte of it is trusted, and a rejected config has changed nothing yet. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (1 << 20)
/* sethostname(2) takes at most HOST_NAME_MAX bytes; setgroups(2) at most NGROUPS_MAX ids. */
#define HOSTNAME_MAX_BYTES 64
#define EXTRA_GIDS_MAX 65536
/* An unknown key is shown at most this long, non-printable bytes as '?': it comes from the input. */
#define KEY_SHOWN_MAX 64
/* The kernel takes at most BPF_MAXINSNS (4096) instructions; each is 16 hex digits here. */
#define SECCOMP_MAX_INSNS 4096
/* seccomp(2) flags a config may ask for: LOG (2) and SPEC_ALLOW (4); TSYNC is meaningless here. */
#define SECCOMP_FLAGS_ALLOWED 6u

enum key {
  K_VERSION,
  K_MODE,
  K_NETWORK,
  K_ROOTFS,
  K_UPPER,
  K_WORK,
  K_LOWER,
  K_HOSTNAME,
  K_CWD,
  K_UID,
  K_GID,
  K_GID_EXTRA,
  K_ARG,
  K_ENV,
  K_CGROUP_PROCS,
  K_BIND_RO,
  K_BIND_RW,
  K_BIND_TO,
  K_TMPFS,
  K_READONLY_ROOTFS,
  K_RLIMIT,
  K_STDOUT_LOG,
  K_STDERR_LOG,
  K_EXIT_FILE,
  K_RM_DIR,
  K_RM_CGROUP,
  K_PARENT_PID,
  K_TARGET_PID,
  K_SECCOMP,
  K_SECCOMP_FLAGS,
  K_ULIMIT,
  K_TTY,
  K_INIT,
  K_SHM_SIZE,
  K_CAPS,
  K_NO_NEW_PRIVS,
  K_NET_VETH,
  K_PUBLISH,
  N_KEYS
};

#define RUN (1u << CONFIG_RUN)
#define EXEC (1u << CONFIG_EXEC)

/* Which subcommands take each key, and whether it may repeat (a list). */
static const struct {
  const char *name;
  unsigned kinds;
  int repeats;
} KEYS[N_KEYS] = {
    [K_VERSION] = {"version", RUN | EXEC, 0},
    [K_MODE] = {"mode", RUN, 0},
    [K_NETWORK] = {"network", RUN, 0},
    [K_ROOTFS] = {"rootfs", RUN, 0},
    [K_UPPER] = {"upper", RUN, 0},
    [K_WORK] = {"work", RUN, 0},
    [K_LOWER] = {"lower", RUN, 1},
    [K_HOSTNAME] = {"hostname", RUN, 0},
    [K_CWD] = {"cwd", RUN | EXEC, 0},
    [K_UID] = {"uid", RUN | EXEC, 0},
    [K_GID] = {"gid", RUN | EXEC, 0},
    [K_GID_EXTRA] = {"gid_extra", RUN | EXEC, 1},
    [K_ARG] = {"arg", RUN | EXEC, 1},
    [K_ENV] = {"env", RUN | EXEC, 1},
    [K_CGROUP_PROCS] = {"cgroup_procs", RUN | EXEC, 1},
    [K_BIND_RO] = {"bind_ro", RUN, 1},
    [K_BIND_RW] = {"bind_rw", RUN, 1},
    [K_BIND_TO] = {"bind_to", RUN, 1},
    [K_TMPFS] = {"tmpfs", RUN, 1},
    [K_READONLY_ROOTFS] = {"readonly_rootfs", RUN, 0},
    [K_RLIMIT] = {"rlimit", RUN | EXEC, 1},
    [K_STDOUT_LOG] = {"stdout_log", RUN, 0},
    [K_STDERR_LOG] = {"stderr_log", RUN, 0},
    [K_EXIT_FILE] = {"exit_file", RUN, 0},
    [K_RM_DIR] = {"rm_dir", RUN, 1},
    [K_RM_CGROUP] = {"rm_cgroup", RUN, 1},
    [K_PARENT_PID] = {"parent_pid", RUN | EXEC, 0},
    [K_TARGET_PID] = {"target_pid", EXEC, 0},
    [K_SECCOMP] = {"seccomp", RUN | EXEC, 0},
    [K_SECCOMP_FLAGS] = {"seccomp_flags", RUN | EXEC, 0},
    [K_ULIMIT] = {"ulimit", RUN | EXEC, 1},
    [K_TTY] = {"tty", RUN | EXEC, 0},
    [K_INIT] = {"init", RUN, 0},
    [K_SHM_SIZE] = {"shm_size", RUN, 0},
    [K_CAPS] = {"caps", RUN | EXEC, 0},
    [K_NO_NEW_PRIVS] = {"no_new_privs", RUN | EXEC, 0},
    [K_NET_VETH] = {"net_veth", RUN, 0},
    [K_PUBLISH] = {"publish", RUN, 1},
};

static const char *const KIND_NAMES[] = {[CONFIG_RUN] = "a run", [CONFIG_EXEC] = "an exec"};

static const char *g_path;

static _Noreturn void bad(const char *key, const char *what) {
  fail("config", EINVAL, "config `%s`: key `%s`: %s", g_path, key, what);
}

/* The input's own bytes, made safe to print in one error line. */
static const char *shown_key(const char *key, char out[KEY_SHOWN_MAX + 4]) {
  size_t i = 0;
  for (; key[i] && i < KEY_SHOWN_MAX; i++) out[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
  strcpy(out + i, key[i] ? "..." : "");
  return out;
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

/* A decimal number in [min, max]: digits only (no sign, space or prefix), no overflow. */
static unsigned long long parse_u64(const char *key, const char *v, unsigned long long min, unsigned long long max) {
  char *end;
  if (*v < '0' || *v > '9') bad(key, "expected a decimal number");
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno || *end || n < min || n > max) bad(key, "expected a decimal number in range");
  return n;
}

static const char *require_abs(const char *key, const char *v) {
  if (v[0] != '/') bad(key, "expected an absolute path");
  if (strlen(v) >= PATH_MAX) bad(key, "expected a path shorter than PATH_MAX (4096 bytes)");
  return v;
}

static const char *require_hostname(const char *key, const char *v) {
  size_t len = strlen(v);
  if (len == 0 || len > HOSTNAME_MAX_BYTES) bad(key, "expected 1 to 64 bytes");
  return v;
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

/* `rlimit` (a default, clamped) and `ulimit` (--ulimit, strict) value: "NAME SOFT HARD", e.g.
 * "nofile 1048576 1048576"; each NAME at most once across both keys. */
static void parse_rlimit(struct config *cfg, const char *key, char *v, int strict) {
  char *soft = strchr(v, ' ');
  if (!soft) bad(key, "expected `NAME SOFT HARD`");
  *soft++ = '\0';
  char *hard = strchr(soft, ' ');
  if (!hard) bad(key, "expected `NAME SOFT HARD`");
  *hard++ = '\0';
  for (size_t i = 0; i < sizeof RLIMITS / sizeof RLIMITS[0]; i++) {
    if (strcmp(RLIMITS[i].name, v) != 0) continue;
    for (size_t j = 0; j < cfg->n_rlimits; j++)
      if (cfg->rlimits[j].resource == RLIMITS[i].resource) bad(key, "resource name given twice");
    cfg->rlimits = grow(cfg->rlimits, cfg->n_rlimits + 1, sizeof *cfg->rlimits);
    struct rlimit_entry *e = &cfg->rlimits[cfg->n_rlimits++];
    e->resource = RLIMITS[i].resource;
    e->name = RLIMITS[i].name;
    e->soft = parse_u64(key, soft, 0, RLIM_INFINITY);
    e->hard = parse_u64(key, hard, 0, RLIM_INFINITY);
    e->strict = strict;
    if (e->soft > e->hard) bad(key, "soft limit above hard limit");
    return;
  }
  bad(key, "unknown resource name");
}

static void add_bind(struct config *cfg, const char *source, int readonly) {
  cfg->binds = grow(cfg->binds, cfg->n_binds + 1, sizeof *cfg->binds);
  cfg->binds[cfg->n_binds++] = (struct bind_mount){source, NULL, readonly, NULL};
}

/* Flags a `tmpfs` record may set by word (mount(2) MS_*). */
static const struct {
  const char *word;
  unsigned long flag;
} TMPFS_FLAGS[] = {{"ro", MS_RDONLY}, {"nosuid", MS_NOSUID}, {"nodev", MS_NODEV}, {"noexec", MS_NOEXEC}};

/* tmpfs(5) options a record may pass on, each with a decimal value (mode: octal). */
static const char *const TMPFS_KEYS[] = {"size=", "mode=", "uid=", "gid=", "nr_inodes="};

static int all_digits(const char *s, size_t n, int octal) {
  if (n == 0 || n > 20) return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > (octal ? '7' : '9')) return 0;
  return 1;
}

/* Splits a `tmpfs` record's options ("ro,nosuid,size=1048576,mode=1777") into mount flags and the
 * tmpfs data string. Only the words and keys above pass: the input is hostile. Returns 0, or -1
 * with *why naming the problem. */
int tmpfs_options(const char *opts, unsigned long *flags, char *data, size_t cap, const char **why) {
  *flags = 0;
  size_t len = 0;
  data[0] = '\0';
  for (const char *p = opts; *p;) {
    const char *end = strchrnul(p, ',');
    size_t n = (size_t)(end - p);
    int known = 0;
    for (size_t i = 0; i < sizeof TMPFS_FLAGS / sizeof TMPFS_FLAGS[0] && !known; i++) {
      if (strlen(TMPFS_FLAGS[i].word) != n || strncmp(p, TMPFS_FLAGS[i].word, n)) continue;
      *flags |= TMPFS_FLAGS[i].flag;
      known = 1;
    }
    for (size_t i = 0; i < sizeof TMPFS_KEYS / sizeof TMPFS_KEYS[0] && !known; i++) {
      size_t k = strlen(TMPFS_KEYS[i]);
      if (n <= k || strncmp(p, TMPFS_KEYS[i], k)) continue;
      if (!all_digits(p + k, n - k, i == 1)) {
        *why = "expected a decimal value (mode: octal)";
        return -1;
      }
      if (len + n + 2 > cap) {
        *why = "options too long";
        return -1;
      }
      len += (size_t)snprintf(data + len, cap - len, "%s%.*s", len ? "," : "", (int)n, p);
      known = 1;
    }
    if (!known) {
      *why = "expected ro, nosuid, nodev, noexec, size=, mode=, uid=, gid= or nr_inodes=";
      return -1;
    }
    p = *end ? end + 1 : end;
  }
  return 0;
}

/* `tmpfs` value: its options, checked here so a bad one changes nothing; `bind_to` follows. */
static void add_tmpfs(struct config *cfg, const char *opts) {
  unsigned long flags;
  char data[256];
  const char *why;
  if (tmpfs_options(opts, &flags, data, sizeof data, &why) < 0) bad("tmpfs", why);
  cfg->binds = grow(cfg->binds, cfg->n_binds + 1, sizeof *cfg->binds);
  cfg->binds[cfg->n_binds++] = (struct bind_mount){NULL, NULL, 0, opts};
}

static void set_bind_target(struct config *cfg, const char *target) {
  if (cfg->n_binds == 0 || cfg->binds[cfg->n_binds - 1].target) bad("bind_to", "must follow bind_ro, bind_rw or tmpfs");
  cfg->binds[cfg->n_binds - 1].target = target;
}

static void add_extra_gid(struct config *cfg, const char *v) {
  if (cfg->n_gids == EXTRA_GIDS_MAX) bad("gid_extra", "more than 65536 given (NGROUPS_MAX)");
  cfg->gids = grow(cfg->gids, cfg->n_gids + 1, sizeof *cfg->gids);
  cfg->gids[cfg->n_gids++] = (gid_t)parse_u64("gid_extra", v, 0, 0xfffffffe);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* `seccomp` value: the struct sock_filter[] bytes (little-endian, as the kernel takes them) in
 * lower-case hex, 16 digits per instruction. Only the encoding is checked here: the kernel
 * verifies the program itself when it is loaded. */
static void parse_seccomp(struct config *cfg, const char *v) {
  size_t len = strlen(v);
  if (len == 0 || len % 16) bad("seccomp", "expected whole BPF instructions (16 hex digits each)");
  if (len / 16 > SECCOMP_MAX_INSNS) bad("seccomp", "expected at most 4096 BPF instructions");
  unsigned char *bytes = malloc(len / 2);
  if (!bytes) fail("malloc", ENOMEM, "config `%s`", g_path);
  for (size_t i = 0; i < len / 2; i++) {
    int hi = hex_digit(v[2 * i]), lo = hex_digit(v[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      free(bytes);
      bad("seccomp", "expected lower-case hex digits");
    }
    bytes[i] = (unsigned char)(hi << 4 | lo);
  }
  cfg->seccomp_len = (unsigned short)(len / 16);
  cfg->seccomp = malloc(cfg->seccomp_len * sizeof *cfg->seccomp);
  if (!cfg->seccomp) fail("malloc", ENOMEM, "config `%s`", g_path);
  for (size_t i = 0; i < cfg->seccomp_len; i++) {
    const unsigned char *b = bytes + 8 * i;
    cfg->seccomp[i] = (struct sock_filter){
        .code = (unsigned short)(b[0] | b[1] << 8),
        .jt = b[2],
        .jf = b[3],
        .k = (unsigned)b[4] | (unsigned)b[5] << 8 | (unsigned)b[6] << 16 | (unsigned)b[7] << 24,
    };
  }
  free(bytes);
}

/* Stores one record's value; `id` is known, valid for this kind and not a forbidden repeat. */
static void apply(struct config *cfg, enum key id, char *v) {
  const char *k = KEYS[id].name;
  switch (id) {
  case K_VERSION:
    if (strcmp(v, "1")) bad(k, "unsupported version (expected 1)");
    break;
  case K_MODE:
    if (!strcmp(v, "detached")) cfg->detached = 1;
    else if (strcmp(v, "attached")) bad(k, "expected attached or detached");
    break;
  case K_NETWORK:
    if (!strcmp(v, "none")) cfg->net_none = 1;
    else if (!strcmp(v, "bridge")) cfg->net_bridge = 1;
    else if (strcmp(v, "host")) bad(k, "expected none, host or bridge");
    break;
  case K_ROOTFS: cfg->rootfs = require_abs(k, v); break;
  case K_UPPER: cfg->upper = require_abs(k, v); break;
  case K_WORK: cfg->work = require_abs(k, v); break;
  case K_LOWER: push(&cfg->lowers, require_abs(k, v)); break;
  case K_HOSTNAME: cfg->hostname = require_hostname(k, v); break;
  case K_CWD: cfg->cwd = require_abs(k, v); break;
  case K_UID: cfg->uid = (uid_t)parse_u64(k, v, 0, 0xfffffffe); break;
  case K_GID: cfg->gid = (gid_t)parse_u64(k, v, 0, 0xfffffffe); break;
  case K_GID_EXTRA: add_extra_gid(cfg, v); break;
  case K_ARG: push(&cfg->args, v); break;
  case K_ENV:
    /* execve(2) passes any bytes, but `=VALUE` has no name to look up. */
    if (v[0] == '=' || !strchr(v, '=')) bad(k, "expected NAME=VALUE with a non-empty NAME");
    push(&cfg->env, v);
    break;
  case K_CGROUP_PROCS: push(&cfg->cgroup_procs, require_abs(k, v)); break;
  case K_BIND_RO: add_bind(cfg, require_abs(k, v), 1); break;
  case K_BIND_RW: add_bind(cfg, require_abs(k, v), 0); break;
  case K_BIND_TO: set_bind_target(cfg, require_abs(k, v)); break;
  case K_TMPFS: add_tmpfs(cfg, v); break;
  case K_READONLY_ROOTFS:
    if (strcmp(v, "1")) bad(k, "expected 1");
    cfg->readonly_rootfs = 1;
    break;
  case K_RLIMIT: parse_rlimit(cfg, k, v, 0); break;
  case K_ULIMIT: parse_rlimit(cfg, k, v, 1); break;
  case K_TTY:
  case K_INIT:
    if (strcmp(v, "1")) bad(k, "expected 1");
    *(id == K_TTY ? &cfg->tty : &cfg->init) = 1;
    break;
  /* tmpfs takes any size; at least one page, and below 2^63 so `size=` never wraps. */
  case K_SHM_SIZE: cfg->shm_size = parse_u64(k, v, 4096, 0x7fffffffffffffffULL); break;
  case K_STDOUT_LOG: cfg->stdout_log = require_abs(k, v); break;
  case K_STDERR_LOG: cfg->stderr_log = require_abs(k, v); break;
  case K_EXIT_FILE: cfg->exit_file = require_abs(k, v); break;
  case K_RM_DIR: push(&cfg->rm_dirs, require_abs(k, v)); break;
  case K_RM_CGROUP: push(&cfg->rm_cgroups, require_abs(k, v)); break;
  case K_PARENT_PID: cfg->parent_pid = (pid_t)parse_u64(k, v, 1, 0x7fffffff); break;
  case K_TARGET_PID: cfg->target_pid = (pid_t)parse_u64(k, v, 1, 0x7fffffff); break;
  case K_SECCOMP: parse_seccomp(cfg, v); break;
  case K_SECCOMP_FLAGS:
    cfg->seccomp_flags = (unsigned)parse_u64(k, v, 0, SECCOMP_FLAGS_ALLOWED);
    if (cfg->seccomp_flags & ~SECCOMP_FLAGS_ALLOWED) bad(k, "expected a sum of 2 (LOG) and 4 (SPEC_ALLOW)");
    break;
  case K_CAPS:
    /* A bit mask in capset(2) order; bits past the kernel's last cap are warned about, not fatal. */
    cfg->caps = parse_u64(k, v, 0, ~0ULL);
    cfg->caps_given = 1;
    break;
  case K_NO_NEW_PRIVS: cfg->new_privs_allowed = parse_u64(k, v, 0, 1) == 0; break;
  /* Checked in full by net.c and proxy.c, in the monitor, before the child gets the config. */
  case K_NET_VETH: cfg->net_veth = v; break;
  case K_PUBLISH: push(&cfg->publish, v); break;
  case N_KEYS: break;
  }
}

/* The key named `k` (valid for `kind`), or a failure naming it. */
static enum key lookup(const char *k, enum config_kind kind) {
  char shown[KEY_SHOWN_MAX + 4];
  for (int id = 0; id < N_KEYS; id++) {
    if (strcmp(KEYS[id].name, k) != 0) continue;
    if (!(KEYS[id].kinds & (1u << kind))) {
      fail("config", EINVAL, "config `%s`: key `%s`: not valid in %s config", g_path, k, KIND_NAMES[kind]);
    }
    return (enum key)id;
  }
  fail("config", EINVAL, "config `%s`: key `%s`: unknown key", g_path, shown_key(k, shown));
}

/* Parses `size` bytes at `buf` (NUL-terminated at buf[size]); values point into buf from then on. */
void config_parse(struct config *cfg, char *buf, size_t size, const char *label, enum config_kind kind) {
  memset(cfg, 0, sizeof *cfg);
  cfg->path = g_path = label;
  unsigned char seen[N_KEYS] = {0};
  char shown[KEY_SHOWN_MAX + 4];
  char *p = buf, *end = buf + size;
  while (p < end) {
    char *k = p;
    char *knul = memchr(k, '\0', (size_t)(end - k));
    if (!knul) fail("config", EINVAL, "config `%s`: truncated record `%s`", label, shown_key(k, shown));
    char *v = knul + 1;
    char *vnul = v < end ? memchr(v, '\0', (size_t)(end - v)) : NULL;
    if (!vnul) fail("config", EINVAL, "config `%s`: key `%s`: record has no value", label, shown_key(k, shown));
    enum key id = lookup(k, kind);
    if (seen[id] && !KEYS[id].repeats) bad(k, "given twice");
    /* The format of every later record depends on the version: it is known before them. */
    if ((p == buf) != (id == K_VERSION)) bad("version", "must be the first record");
    seen[id] = 1;
    apply(cfg, id, v);
    p = vnul + 1;
  }
  if (!seen[K_VERSION]) bad("version", "required as the first record");
  for (size_t i = 0; i < cfg->n_binds; i++)
    if (!cfg->binds[i].target) bad("bind_to", "missing after bind_ro/bind_rw/tmpfs");
  if (cfg->args.len == 0) bad("arg", "at least one required");
  if (seen[K_SECCOMP_FLAGS] && !cfg->seccomp) bad("seccomp_flags", "given without seccomp");
  if (!cfg->net_veth != !cfg->net_bridge) bad("net_veth", "required with network bridge, and only with it");
  if (cfg->publish.len && !cfg->net_bridge) bad("publish", "needs network bridge");
  if (!cfg->cwd) cfg->cwd = "/";
}

/* Frees what config_parse allocated (not `buf`). The helper never needs it (it execs or exits);
 * the fuzz target parses millions of configs in one process. */
void config_free(struct config *cfg) {
  free(cfg->lowers.items);
  free(cfg->args.items);
  free(cfg->env.items);
  free(cfg->cgroup_procs.items);
  free(cfg->rm_dirs.items);
  free(cfg->rm_cgroups.items);
  free(cfg->publish.items);
  free(cfg->gids);
  free(cfg->binds);
  free(cfg->rlimits);
  free(cfg->seccomp);
  memset(cfg, 0, sizeof *cfg);
}

/* Reads `fd` (a pipe or socket) to EOF, at most CONFIG_MAX_BYTES; *size 0 means nothing came. */
char *config_read_fd(int fd, size_t *size, const char *label) {
  size_t cap = 4096, got = 0;
  char *buf = malloc(cap + 1);
  if (!buf) fail("malloc", ENOMEM, "config `%s`", label);
  for (;;) {
    if (got == cap) {
      /* Room for one byte past the limit: only a read that fills it proves the input too long. */
      if (cap > CONFIG_MAX_BYTES) fail("read", EFBIG, "config `%s`: over %d bytes", label, CONFIG_MAX_BYTES);
      cap = cap * 2 > CONFIG_MAX_BYTES ? CONFIG_MAX_BYTES + 1 : cap * 2;
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

void config_load(struct config *cfg, const char *path, enum config_kind kind) {
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
  config_parse(cfg, buf, got, path, kind);
}
