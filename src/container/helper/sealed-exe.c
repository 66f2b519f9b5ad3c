/* CVE-2019-5736: while `exec` joins a container, the joining process is visible in the container's
 * /proc, and /proc/PID/exe of it would open the host's helper binary: a process in the container
 * could keep that open and rewrite the binary once it stops running, so the next container start
 * runs its code as host root. So `exec` first re-executes itself from a sealed in-memory copy
 * (memfd_create(2), F_SEAL_*: fcntl(2)): /proc/PID/exe then names that copy, which nobody can
 * write or resize, and the host file is never reachable. The joining process is also made
 * non-dumpable (exec.c), so without CAP_SYS_PTRACE /proc/PID/exe cannot even be opened. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* True when /proc/self/exe is already a copy sealed as below (the re-executed helper). */
static int running_sealed(int exe_fd) {
  int seals = fcntl(exe_fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALS) == SEALS;
}

void sealed_exe_reexec(char **argv) {
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) fail("open", errno, "`/proc/self/exe`");
  if (running_sealed(exe)) {
    close(exe);
    return;
  }
  struct stat st;
  if (fstat(exe, &st) < 0) fail("fstat", errno, "`/proc/self/exe`");
  /* CLOEXEC: the copy must not stay open in what we exec later; fexecve of an ELF does not need it. */
  int copy = memfd_create("isobench-helper", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (copy < 0) fail("memfd_create", errno, "copy of the helper");
  for (off_t done = 0; done < st.st_size;) {
    ssize_t n = sendfile(copy, exe, NULL, (size_t)(st.st_size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("sendfile", n < 0 ? errno : EIO, "copy of the helper (%lld of %lld bytes)", (long long)done,
                     (long long)st.st_size);
    done += n;
  }
  close(exe);
  if (fcntl(copy, F_ADD_SEALS, SEALS) < 0) fail("fcntl", errno, "F_ADD_SEALS on the helper's copy");
  /* The status pipe must reach the copy (status_init made it CLOEXEC; the copy's does so again). */
  if (g_status_fd == 3 && fcntl(3, F_SETFD, 0) < 0) fail("fcntl", errno, "status fd 3");
  fexecve(copy, argv, environ);
  fail("fexecve", errno, "the helper's sealed copy");
}
