/* Loads the workload's seccomp filter: a classic BPF program compiled by the TypeScript side
 * (src/container/seccomp/) and passed in the config. It is the last step before execve, so the
 * helper's own setup (mounts, setgroups, capset, ...) is not subject to it, and every syscall the
 * helper still makes after it (execve along PATH, write of an error line, exit) is one the
 * default profile allows. no_new_privs is already on: loading a filter needs it, or CAP_SYS_ADMIN.
 * With `no_new_privs 0` it is loaded earlier instead, while CAP_SYS_ADMIN is still effective
 * (process.c): then setgroups, setuid, capset and prctl run under it too, as in runc. */
#include "helper.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

void seccomp_install(const struct config *cfg) {
  if (!cfg->seccomp) return;
  struct sock_fprog prog = {.len = cfg->seccomp_len, .filter = cfg->seccomp};
  /* Raw syscall: glibc has no wrapper for seccomp(2), and prctl(PR_SET_SECCOMP) takes no flags. */
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, cfg->seccomp_flags, &prog) < 0)
    fail("seccomp", errno, "SECCOMP_SET_MODE_FILTER: %u instructions, flags %u", cfg->seccomp_len,
         cfg->seccomp_flags);
}
