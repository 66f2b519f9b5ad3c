/* Capabilities: the set the config names (`caps`, a bit mask), or Docker's default set when it
 * names none; via prctl and raw capset (no libcap). */
#include "helper.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Names by number (linux/capability.h), for warnings; NOTE: the same list as ALL_CAPS in
 * src/container/capabilities.ts. */
static const char *const CAP_NAMES[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",    "CAP_DAC_READ_SEARCH", "CAP_FOWNER",       "CAP_FSETID",
    "CAP_KILL",            "CAP_SETGID",          "CAP_SETUID",          "CAP_SETPCAP",      "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",  "CAP_NET_ADMIN",       "CAP_NET_RAW",      "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",       "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",   "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",       "CAP_SYS_BOOT",        "CAP_SYS_NICE",     "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",        "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",           "CAP_LEASE",        "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",         "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",      "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",      "CAP_PERFMON",      "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
#define N_NAMES (sizeof CAP_NAMES / sizeof CAP_NAMES[0])

/* Docker's default set (moby oci/caps/defaults.go). */
#define BIT(c) (1ULL << (c))
static const uint64_t DEFAULT_CAPS = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FSETID) | BIT(CAP_FOWNER) |
                                     BIT(CAP_MKNOD) | BIT(CAP_NET_RAW) | BIT(CAP_SETGID) | BIT(CAP_SETUID) |
                                     BIT(CAP_SETFCAP) | BIT(CAP_SETPCAP) | BIT(CAP_NET_BIND_SERVICE) |
                                     BIT(CAP_SYS_CHROOT) | BIT(CAP_KILL) | BIT(CAP_AUDIT_WRITE);

static uint64_t g_kept; /* asked-for caps the host's bounding set actually has */

/* Shrinks the bounding set to the asked-for set; one the host lacks is a warning, not a failure. */
void caps_limit_bounding(const struct config *cfg) {
  uint64_t wanted = cfg->caps_given ? cfg->caps : DEFAULT_CAPS;
  g_kept = 0;
  /* PR_CAPBSET_READ fails with EINVAL past the kernel's last cap: that ends the loop. */
  int last = -1;
  for (int cap = 0; cap < 64; cap++) {
    int have = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (have < 0) break;
    last = cap;
    if (have == 1 && (wanted & BIT(cap))) g_kept |= BIT(cap);
    else if (have == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      fail("prctl", errno, "PR_CAPBSET_DROP cap %d", cap);
  }
  for (int cap = 0; cap < 64; cap++) {
    if (!(wanted & BIT(cap)) || (g_kept & BIT(cap))) continue;
    const char *name = (size_t)cap < N_NAMES ? CAP_NAMES[cap] : "an unnamed capability";
    if (cap > last) warn_line("capability %s (%d) is unknown to this kernel; the container runs without it", name, cap);
    else warn_line("capability %s is not in the host's bounding set; the container runs without it", name);
  }
}

/* After setuid: root keeps the set as permitted+effective, others keep nothing (as Docker);
 * the inheritable set is empty either way (Docker since CVE-2022-24769). */
void caps_apply_after_setuid(uid_t uid) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  uint64_t set = uid == 0 ? g_kept : 0;
  data[0].permitted = data[0].effective = (uint32_t)set;
  data[1].permitted = data[1].effective = (uint32_t)(set >> 32);
  /* capset: raw syscall, libcap would be a dependency for three words of bits. */
  if (syscall(SYS_capset, &hdr, data) < 0) fail("capset", errno, "permitted/effective 0x%llx", (unsigned long long)set);
}
