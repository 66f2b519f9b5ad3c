/* The container's network. "none": a fresh net namespace holds only lo, which starts DOWN; bring
 * it UP. "bridge": the same, plus a veth pair made by the monitor (host end on the network's
 * bridge, the other end created directly inside the child's namespace as eth0), which the child
 * then addresses and routes. NOTE: the default route points at the bridge's own address; the
 * bridge is host-only (no forwarding off it, no NAT: src/container/network/host-links.ts), so a
 * packet for any other address dies on this host. A veth pair dies with the namespace holding
 * one end: a crash cannot leak it. */
#include "helper.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sets IFF_UP on `name` through any AF_INET socket of the current namespace. */
static void link_up(int s, const char *name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) fail("ioctl", errno, "SIOCGIFFLAGS `%s`", name);
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) fail("ioctl", errno, "SIOCSIFFLAGS `%s` up", name);
}

void net_bring_lo_up(void) {
  /* Any socket in the namespace serves as a handle for interface ioctls. */
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail("socket", errno, "AF_INET for `lo`");
  link_up(s, "lo");
  close(s);
}

/* An interface name: 1-15 bytes of [A-Za-z0-9_-]. */
static int valid_ifname(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n >= IFNAMSIZ) return 0;
  for (size_t i = 0; i < n; i++)
    if (!(s[i] == '-' || s[i] == '_' || (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
          (s[i] >= 'A' && s[i] <= 'Z')))
      return 0;
  return 1;
}

/* `net_veth`: "HOSTIF BRIDGE ADDRESS PREFIX GATEWAY", e.g. "iv0123 ib4567 10.213.0.2 24 10.213.0.1". */
void net_parse_veth(const char *value, struct net_veth *out, const char *label) {
  char host_if[64], bridge[64], addr[64], gw[64];
  int prefix;
  char tail;
  memset(out, 0, sizeof *out);
  if (strlen(value) > 200 ||
      sscanf(value, "%63s %63s %63s %d %63s %c", host_if, bridge, addr, &prefix, gw, &tail) != 5 ||
      !valid_ifname(host_if) || !valid_ifname(bridge) || prefix < 8 || prefix > 30 ||
      inet_pton(AF_INET, addr, &out->address) != 1 || inet_pton(AF_INET, gw, &out->gateway) != 1)
    fail("config", EINVAL, "config `%s`: key `net_veth`: expected `HOSTIF BRIDGE ADDRESS PREFIX GATEWAY`", label);
  strcpy(out->host_if, host_if);
  strcpy(out->bridge, bridge);
  out->prefix = prefix;
}

/* Appends one attribute to a netlink message of capacity `cap`; returns it (for nesting). */
static struct rtattr *add_attr(struct nlmsghdr *h, size_t cap, unsigned short type, const void *data, size_t len) {
  size_t off = NLMSG_ALIGN(h->nlmsg_len);
  if (off + RTA_SPACE(len) > cap) fail("netlink", ENOBUFS, "message too long");
  struct rtattr *rta = (struct rtattr *)((char *)h + off);
  rta->rta_type = type;
  rta->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(rta), data, len);
  h->nlmsg_len = (unsigned)(off + RTA_SPACE(len));
  return rta;
}

static void end_nest(struct nlmsghdr *h, struct rtattr *nest) {
  nest->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)nest);
}

/* Sends one request and reads its ACK; returns 0 or a negative errno. */
static int netlink_call(struct nlmsghdr *h) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) fail("socket", errno, "AF_NETLINK");
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  char buf[4096];
  ssize_t n;
  do n = recv(fd, buf, sizeof buf, 0);
  while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  close(fd);
  if (n < 0) return -err;
  struct nlmsghdr *reply = (struct nlmsghdr *)buf;
  if (!NLMSG_OK(reply, (unsigned)n) || reply->nlmsg_type != NLMSG_ERROR) return -EPROTO;
  return ((struct nlmsgerr *)NLMSG_DATA(reply))->error;
}

/* In the monitor (host namespace), before the child gets its config: one RTM_NEWLINK makes the
 * pair, the host end up and enslaved to the bridge, the peer as `eth0` in the child's namespace
 * (rtnetlink(7), IFLA_NET_NS_PID; veth(4)). */
void net_create_veth(const struct net_veth *v, pid_t child) {
  unsigned bridge_index = if_nametoindex(v->bridge);
  if (bridge_index == 0) fail("if_nametoindex", errno, "bridge `%s`", v->bridge);
  union {
    struct nlmsghdr h;
    char buf[1024];
  } msg;
  memset(&msg, 0, sizeof msg);
  struct nlmsghdr *h = &msg.h;
  h->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  h->nlmsg_type = RTM_NEWLINK;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
  struct ifinfomsg *ifi = NLMSG_DATA(h);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  add_attr(h, sizeof msg, IFLA_IFNAME, v->host_if, strlen(v->host_if) + 1);
  add_attr(h, sizeof msg, IFLA_MASTER, &bridge_index, sizeof bridge_index);
  struct rtattr *linkinfo = add_attr(h, sizeof msg, IFLA_LINKINFO, NULL, 0);
  add_attr(h, sizeof msg, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = add_attr(h, sizeof msg, IFLA_INFO_DATA, NULL, 0);
  struct rtattr *peer = add_attr(h, sizeof msg, VETH_INFO_PEER, NULL, 0);
  /* The peer's own ifinfomsg comes first inside VETH_INFO_PEER, then its attributes. */
  struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
  size_t off = NLMSG_ALIGN(h->nlmsg_len);
  if (off + sizeof peer_ifi > sizeof msg) fail("netlink", ENOBUFS, "message too long");
  memcpy((char *)h + off, &peer_ifi, sizeof peer_ifi);
  h->nlmsg_len = (unsigned)(off + NLMSG_ALIGN(sizeof peer_ifi));
  add_attr(h, sizeof msg, IFLA_IFNAME, "eth0", 5);
  unsigned ns_pid = (unsigned)child;
  add_attr(h, sizeof msg, IFLA_NET_NS_PID, &ns_pid, sizeof ns_pid);
  end_nest(h, peer);
  end_nest(h, data);
  end_nest(h, linkinfo);
  int err = netlink_call(h);
  if (err < 0) fail("netlink", -err, "RTM_NEWLINK veth `%s` on bridge `%s`", v->host_if, v->bridge);
}

static void set_addr(struct sockaddr *sa, struct in_addr a) {
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = a};
  memcpy(sa, &sin, sizeof sin);
}

/* In the child (its own namespace, before the rootfs): eth0 gets the address, goes up, and the
 * only route off its subnet is the default one via the bridge's address (netdevice(7), route(7)). */
void net_configure_eth0(const struct net_veth *v) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail("socket", errno, "AF_INET for `eth0`");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "eth0");
  set_addr(&ifr.ifr_addr, v->address);
  if (ioctl(s, SIOCSIFADDR, &ifr) < 0) fail("ioctl", errno, "SIOCSIFADDR `eth0`");
  struct in_addr mask = {.s_addr = htonl(v->prefix == 0 ? 0 : 0xffffffffu << (32 - v->prefix))};
  set_addr(&ifr.ifr_netmask, mask);
  if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) fail("ioctl", errno, "SIOCSIFNETMASK `eth0` /%d", v->prefix);
  link_up(s, "eth0");
  struct rtentry rt;
  memset(&rt, 0, sizeof rt);
  set_addr(&rt.rt_dst, (struct in_addr){0});
  set_addr(&rt.rt_genmask, (struct in_addr){0});
  set_addr(&rt.rt_gateway, v->gateway);
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  rt.rt_dev = "eth0";
  if (ioctl(s, SIOCADDRT, &rt) < 0) fail("ioctl", errno, "SIOCADDRT default via the gateway on `eth0`");
  close(s);
}
