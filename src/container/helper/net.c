/* Network "none": a fresh net namespace holds only lo, which starts DOWN; bring it UP. */
#include "helper.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void net_bring_lo_up(void) {
  /* Any socket in the namespace serves as a handle for interface ioctls. */
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail("socket", errno, "AF_INET for `lo`");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail("ioctl", errno, "SIOCGIFFLAGS `lo`");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) fail("ioctl", errno, "SIOCSIFFLAGS `lo` up");
  close(s);
}
