/* libFuzzer target for the C helper's config parser (src/container/helper/config.c): each input
 * is parsed as a `run` and as an `exec` config, exactly as the helper would (NUL after the last
 * byte). Beyond ASan/UBSan's own checks it aborts when a parse breaks an invariant the rest of
 * the helper relies on, or when a rejection is not one printable line naming the config. Built
 * and run by scripts/fuzz-config.mjs. */
#include "../../../src/container/helper/helper.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf g_rejected;
static char g_message[4096];
static const char *g_syscall;
static int g_errno;

/* The helper's fail() writes an error line and exits; here a rejection returns to the parse. */
_Noreturn void fail(const char *syscall, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_message, sizeof g_message, fmt, ap);
  va_end(ap);
  g_syscall = syscall;
  g_errno = err;
  longjmp(g_rejected, 1);
}

#define CHECK(cond)                                                                                          \
  do {                                                                                                       \
    if (!(cond)) {                                                                                           \
      fprintf(stderr, "fuzz-config: invariant broken: %s (line %d)\n", #cond, __LINE__);                   \
      abort();                                                                                               \
    }                                                                                                        \
  } while (0)

static const char *g_lo, *g_hi; /* the input buffer: every parsed string must point into it */

static void check_string(const char *s) {
  CHECK(s >= g_lo && s < g_hi);
  CHECK(memchr(s, '\0', (size_t)(g_hi - s)) != NULL);
}

static void check_list(const struct strlist *l, int absolute) {
  CHECK(l->len == 0 || l->items[l->len] == NULL);
  for (size_t i = 0; i < l->len; i++) {
    check_string(l->items[i]);
    if (absolute) CHECK(l->items[i][0] == '/');
  }
}

static void check_optional_path(const char *s) {
  if (!s) return;
  check_string(s);
  CHECK(s[0] == '/');
}

/* What run.c, exec.c and process.c assume of a config that parsed. */
static void check_accepted(const struct config *cfg, enum config_kind kind) {
  CHECK(cfg->args.len >= 1);
  check_list(&cfg->args, 0);
  check_list(&cfg->env, 0);
  for (size_t i = 0; i < cfg->env.len; i++) CHECK(cfg->env.items[i][0] != '=' && strchr(cfg->env.items[i], '='));
  check_list(&cfg->lowers, 1);
  check_list(&cfg->cgroup_procs, 1);
  check_list(&cfg->rm_dirs, 1);
  check_list(&cfg->rm_cgroups, 1);
  CHECK(cfg->cwd != NULL);
  if (strcmp(cfg->cwd, "/") != 0) check_optional_path(cfg->cwd);
  const char *paths[] = {cfg->rootfs, cfg->upper, cfg->work, cfg->stdout_log, cfg->stderr_log, cfg->exit_file};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    check_optional_path(paths[i]);
    if (kind == CONFIG_EXEC) CHECK(paths[i] == NULL);
  }
  if (cfg->hostname) {
    check_string(cfg->hostname);
    CHECK(strlen(cfg->hostname) >= 1 && strlen(cfg->hostname) <= 64);
  }
  for (size_t i = 0; i < cfg->n_binds; i++) {
    check_optional_path(cfg->binds[i].source);
    /* A bind (source) or a tmpfs (its options, inside the input), never both or neither. */
    CHECK((cfg->binds[i].source == NULL) != (cfg->binds[i].tmpfs == NULL));
    if (cfg->binds[i].tmpfs) check_string(cfg->binds[i].tmpfs);
    CHECK(cfg->binds[i].target != NULL);
    check_optional_path(cfg->binds[i].target);
  }
  for (size_t i = 0; i < cfg->n_rlimits; i++) {
    CHECK(cfg->rlimits[i].soft <= cfg->rlimits[i].hard);
    for (size_t j = 0; j < i; j++) CHECK(cfg->rlimits[i].resource != cfg->rlimits[j].resource);
  }
  CHECK(cfg->n_gids <= 65536);
  CHECK(cfg->seccomp ? cfg->seccomp_len >= 1 && cfg->seccomp_len <= 4096 : cfg->seccomp_len == 0);
  CHECK((cfg->seccomp_flags & ~6u) == 0 && (cfg->seccomp || cfg->seccomp_flags == 0));
  CHECK(cfg->uid != (uid_t)-1 && cfg->gid != (gid_t)-1);
  CHECK(cfg->parent_pid >= 0 && cfg->target_pid >= 0);
  if (kind == CONFIG_EXEC) CHECK(!cfg->detached && !cfg->net_none && cfg->n_binds == 0 && cfg->lowers.len == 0);
  if (kind == CONFIG_RUN) CHECK(cfg->target_pid == 0);
}

/* A rejection is `config "fuzz": ...` with EINVAL, on one line of printable bytes. */
static void check_rejected(void) {
  CHECK(strcmp(g_syscall, "config") == 0);
  CHECK(g_errno == EINVAL);
  CHECK(strncmp(g_message, "config `fuzz`: ", 15) == 0);
  for (const char *c = g_message; *c; c++) CHECK(*c >= 0x20 && *c < 0x7f);
}

static void parse_as(const uint8_t *data, size_t size, enum config_kind kind) {
  /* A fresh copy each time: the parser writes into its buffer (rlimit fields). */
  char *buf = malloc(size + 1);
  CHECK(buf != NULL);
  memcpy(buf, data, size);
  buf[size] = '\0';
  g_lo = buf;
  g_hi = buf + size + 1;
  /* static: config_parse writes it before a longjmp, and it is read after (C11 7.13.2.1). */
  static struct config cfg;
  if (setjmp(g_rejected) == 0) {
    config_parse(&cfg, buf, size, "fuzz", kind);
    check_accepted(&cfg, kind);
  } else {
    check_rejected();
  }
  config_free(&cfg);
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse_as(data, size, CONFIG_RUN);
  parse_as(data, size, CONFIG_EXEC);
  return 0;
}
