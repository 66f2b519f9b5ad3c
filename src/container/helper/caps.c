/* Capabilities: Docker's default set, nothing more, via prctl and raw capset (no libcap). */
#include "helper.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
  int cap;
  const char *name;
} DEFAULT_CAPS[] = {
    {CAP_CHOWN, "CAP_CHOWN"},       {CAP_DAC_OVERRIDE, "CAP_DAC_OVERRIDE"},
    {CAP_FSETID, "CAP_FSETID"},     {CAP_FOWNER, "CAP_FOWNER"},
    {CAP_MKNOD, "CAP_MKNOD"},       {CAP_NET_RAW, "CAP_NET_RAW"},
    {CAP_SETGID, "CAP_SETGID"},     {CAP_SETUID, "CAP_SETUID"},
    {CAP_SETFCAP, "CAP_SETFCAP"},   {CAP_SETPCAP, "CAP_SETPCAP"},
    {CAP_NET_BIND_SERVICE, "CAP_NET_BIND_SERVICE"}, {CAP_SYS_CHROOT, "CAP_SYS_CHROOT"},
    {CAP_KILL, "CAP_KILL"},         {CAP_AUDIT_WRITE, "CAP_AUDIT_WRITE"},
};
#define N_DEFAULT (sizeof DEFAULT_CAPS / sizeof DEFAULT_CAPS[0])

static uint64_t g_kept; /* default caps the host's bounding set actually has */

static int is_default(int cap) {
  for (size_t i = 0; i < N_DEFAULT; i++)
    if (DEFAULT_CAPS[i].cap == cap) return 1;
  return 0;
}

/* Shrinks the bounding set to Docker's default set; a default cap the host lacks is a warning. */
void caps_drop_to_default(void) {
  g_kept = 0;
  for (size_t i = 0; i < N_DEFAULT; i++) {
    if (prctl(PR_CAPBSET_READ, DEFAULT_CAPS[i].cap, 0, 0, 0) == 1)
      g_kept |= 1ULL << DEFAULT_CAPS[i].cap;
    else
      warn_line("capability %s is not in the host's bounding set; the container runs without it",
                DEFAULT_CAPS[i].name);
  }
  /* PR_CAPBSET_READ fails with EINVAL past the kernel's last cap: that ends the loop. */
  for (int cap = 0; cap < 64; cap++) {
    int have = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (have < 0) break;
    if (have == 1 && !is_default(cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      fail("prctl", errno, "PR_CAPBSET_DROP cap %d", cap);
  }
}

/* After setuid: root keeps the default set as permitted+effective, others keep nothing (as Docker);
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
