/* Published ports (`-p`): a relay process the monitor forks, living as long as the container. It
 * listens on the host's loopback (bound by the monitor before the workload starts, so a taken
 * port fails the launch with nothing started) and relays each TCP connection, or each UDP
 * client's datagrams, to the container's address on its bridge network. A process of its own
 * keeps the monitor a plain waitpid loop; PR_SET_PDEATHSIG ends it with the monitor, and the
 * monitor kills it once the workload has exited. Threads, not an event loop: two per TCP
 * connection (one per direction, so neither side's full buffer can stall the other), one per
 * UDP client. */
#include "helper.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PUBLISHED 64
#define UDP_SESSIONS 64
#define RELAY_STACK_BYTES (256 * 1024)
#define RELAY_BUFFER_BYTES (64 * 1024)

struct listener {
  int fd;
  int udp;
  struct sockaddr_in target; /* the container's address and port */
};

static struct listener g_listeners[MAX_PUBLISHED];
static size_t g_n_listeners;
static pid_t g_proxy = -1;

/* `publish`: "tcp|udp HOSTIP HOSTPORT CPORT"; the host address must be loopback (127/8). */
static void parse_publish(const char *value, struct in_addr container, struct listener *l, struct sockaddr_in *bind_to) {
  char proto[8], ip[64], tail;
  int hport, cport;
  struct in_addr host;
  if (strlen(value) > 100 || sscanf(value, "%7s %63s %d %d %c", proto, ip, &hport, &cport, &tail) != 4 ||
      (strcmp(proto, "tcp") && strcmp(proto, "udp")) || inet_pton(AF_INET, ip, &host) != 1 ||
      (ntohl(host.s_addr) >> 24) != 127 || hport < 1 || hport > 65535 || cport < 1 || cport > 65535)
    fail("config", EINVAL, "config `fd 4`: key `publish`: expected `tcp|udp 127.x.y.z HOSTPORT CPORT`");
  l->udp = proto[0] == 'u';
  l->target = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((unsigned short)cport), .sin_addr = container};
  *bind_to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((unsigned short)hport), .sin_addr = host};
}

static void send_all(int fd, const char *buf, size_t len, int *ok) {
  for (size_t off = 0; off < len && *ok;) {
    ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) *ok = 0;
    else off += (size_t)n;
  }
}

struct tcp_conn {
  int client, upstream;
  atomic_int refs;
};

struct pump {
  struct tcp_conn *conn;
  int from, to;
};

/* Copies one direction until EOF or an error, then passes the EOF on; the last pump closes both. */
static void *pump_run(void *arg) {
  struct pump *p = arg;
  char *buf = malloc(RELAY_BUFFER_BYTES);
  int ok = buf != NULL;
  while (ok) {
    ssize_t n = recv(p->from, buf, RELAY_BUFFER_BYTES, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    send_all(p->to, buf, (size_t)n, &ok);
  }
  free(buf);
  /* A failed write (the peer reset) ends the other direction too. */
  shutdown(p->to, ok ? SHUT_WR : SHUT_RDWR);
  if (!ok) shutdown(p->from, SHUT_RDWR);
  struct tcp_conn *c = p->conn;
  free(p);
  if (atomic_fetch_sub(&c->refs, 1) == 1) {
    close(c->client);
    close(c->upstream);
    free(c);
  }
  return NULL;
}

static int spawn(void *(*fn)(void *), void *arg) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, RELAY_STACK_BYTES);
  pthread_t t;
  int err = pthread_create(&t, &attr, fn, arg);
  pthread_attr_destroy(&attr);
  return err;
}

struct tcp_start {
  int client;
  const struct listener *l;
};

/* Connects to the container, then pumps client -> container here and the other way in a new thread. */
static void *tcp_connect_run(void *arg) {
  struct tcp_start s = *(struct tcp_start *)arg;
  free(arg);
  int up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (up < 0 || connect(up, (const struct sockaddr *)&s.l->target, sizeof s.l->target) < 0) {
    /* Nothing listens in the container (yet): the client sees its connection closed. */
    if (up >= 0) close(up);
    close(s.client);
    return NULL;
  }
  struct tcp_conn *c = malloc(sizeof *c);
  struct pump *back = malloc(sizeof *back), *fwd = malloc(sizeof *fwd);
  if (!c || !back || !fwd) {
    free(c), free(back), free(fwd);
    close(up), close(s.client);
    return NULL;
  }
  c->client = s.client;
  c->upstream = up;
  atomic_init(&c->refs, 2);
  *back = (struct pump){c, up, s.client};
  *fwd = (struct pump){c, s.client, up};
  if (spawn(pump_run, back) != 0) {
    /* No thread for the way back: count it as finished, after shutting that direction. */
    shutdown(up, SHUT_RD);
    free(back);
    atomic_fetch_sub(&c->refs, 1);
  }
  return pump_run(fwd);
}

static void *tcp_accept_run(void *arg) {
  const struct listener *l = arg;
  for (;;) {
    int client = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
        if (errno != EINTR && errno != ECONNABORTED) usleep(10000);
        continue;
      }
      return NULL;
    }
    struct tcp_start *s = malloc(sizeof *s);
    if (!s || (*s = (struct tcp_start){client, l}, spawn(tcp_connect_run, s) != 0)) {
      free(s);
      close(client);
    }
  }
}

/* UDP: one connected socket to the container per client address; replies go back from the listener. */
struct udp_session {
  int upstream; /* -1: free */
  struct sockaddr_in client;
  const struct listener *l;
  unsigned long long last_used;
};

static struct udp_session g_sessions[UDP_SESSIONS];
static pthread_mutex_t g_sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long g_udp_clock;

struct udp_reply {
  int fd, out;
  struct sockaddr_in client;
};

/* Owns its session's socket: closes it when shut down (evicted) or broken. */
static void *udp_reply_run(void *arg) {
  struct udp_reply r = *(struct udp_reply *)arg;
  free(arg);
  int fd = r.fd, out = r.out;
  struct sockaddr_in client = r.client;
  char *buf = malloc(RELAY_BUFFER_BYTES);
  while (buf) {
    ssize_t n = recv(fd, buf, RELAY_BUFFER_BYTES, 0);
    if (n < 0 && (errno == EINTR || errno == ECONNREFUSED)) continue;
    if (n <= 0) break; /* 0: shut down to make room for another client */
    sendto(out, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&client, sizeof client);
  }
  free(buf);
  close(fd);
  return NULL;
}

/* The session of `client`, made (evicting the least recently used one) when it has none. */
static int udp_session_fd(const struct listener *l, const struct sockaddr_in *client) {
  pthread_mutex_lock(&g_sessions_lock);
  struct udp_session *slot = NULL;
  for (size_t i = 0; i < UDP_SESSIONS; i++) {
    struct udp_session *s = &g_sessions[i];
    if (s->upstream >= 0 && s->l == l && s->client.sin_addr.s_addr == client->sin_addr.s_addr &&
        s->client.sin_port == client->sin_port) {
      s->last_used = ++g_udp_clock;
      int fd = s->upstream;
      pthread_mutex_unlock(&g_sessions_lock);
      return fd;
    }
    if (!slot || s->upstream < 0 || (slot->upstream >= 0 && s->last_used < slot->last_used)) slot = s;
  }
  /* Wakes the evicted session's reply thread, which closes its socket. */
  if (slot->upstream >= 0) shutdown(slot->upstream, SHUT_RDWR);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, (const struct sockaddr *)&l->target, sizeof l->target) < 0) close(fd), fd = -1;
  slot->upstream = fd;
  if (fd >= 0) {
    slot->client = *client;
    slot->l = l;
    slot->last_used = ++g_udp_clock;
    struct udp_reply *r = malloc(sizeof *r);
    if (r) *r = (struct udp_reply){fd, l->fd, *client};
    if (!r || spawn(udp_reply_run, r) != 0) free(r), close(fd), slot->upstream = fd = -1;
  }
  pthread_mutex_unlock(&g_sessions_lock);
  return fd;
}

static void *udp_listen_run(void *arg) {
  const struct listener *l = arg;
  char *buf = malloc(RELAY_BUFFER_BYTES);
  while (buf) {
    struct sockaddr_in client;
    socklen_t len = sizeof client;
    ssize_t n = recvfrom(l->fd, buf, RELAY_BUFFER_BYTES, 0, (struct sockaddr *)&client, &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int fd = udp_session_fd(l, &client);
    if (fd >= 0) send(fd, buf, (size_t)n, MSG_NOSIGNAL);
  }
  free(buf);
  return NULL;
}

/* The relay process: nothing of the monitor's but the listeners, then one thread per listener. */
static _Noreturn void proxy_main(pid_t monitor) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != monitor) _exit(1);
  g_status_fd = g_error_fd = -1;
  int maxfd = -1;
  for (size_t i = 0; i < g_n_listeners; i++)
    if (g_listeners[i].fd > maxfd) maxfd = g_listeners[i].fd;
  for (int fd = 0; fd <= maxfd; fd++) {
    int keep = 0;
    for (size_t i = 0; i < g_n_listeners; i++) keep |= g_listeners[i].fd == fd;
    if (!keep) close(fd);
  }
  syscall(SYS_close_range, (unsigned)maxfd + 1, ~0U, 0U);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (size_t i = 0; i < UDP_SESSIONS; i++) g_sessions[i].upstream = -1;
  for (size_t i = 0; i < g_n_listeners; i++)
    if (spawn(g_listeners[i].udp ? udp_listen_run : tcp_accept_run, &g_listeners[i]) != 0) _exit(1);
  for (;;) pause();
}

void proxy_start(const struct config *cfg, const struct net_veth *veth) {
  if (cfg->publish.len == 0) return;
  if (cfg->publish.len > MAX_PUBLISHED)
    fail("config", E2BIG, "config `fd 4`: key `publish`: more than %d ports", MAX_PUBLISHED);
  for (size_t i = 0; i < cfg->publish.len; i++) {
    struct listener *l = &g_listeners[g_n_listeners];
    struct sockaddr_in at;
    parse_publish(cfg->publish.items[i], veth->address, l, &at);
    l->fd = socket(AF_INET, (l->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (l->fd < 0) fail("socket", errno, "published port `%s`", cfg->publish.items[i]);
    g_n_listeners++;
    int one = 1;
    /* SO_REUSEADDR: a port whose last connections linger in TIME_WAIT can be published again at once. */
    if (!l->udp) setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l->fd, (struct sockaddr *)&at, sizeof at) < 0)
      fail("bind", errno, "published port %s:%d/%s", inet_ntoa(at.sin_addr), ntohs(at.sin_port), l->udp ? "udp" : "tcp");
    if (!l->udp && listen(l->fd, 128) < 0) fail("listen", errno, "published port %d", ntohs(at.sin_port));
  }
  pid_t monitor = getpid();
  g_proxy = fork();
  if (g_proxy < 0) fail("fork", errno, "port relay");
  if (g_proxy == 0) proxy_main(monitor);
  for (size_t i = 0; i < g_n_listeners; i++) close(g_listeners[i].fd);
}

void proxy_stop(void) {
  if (g_proxy <= 0) return;
  kill(g_proxy, SIGKILL);
  int status;
  while (waitpid(g_proxy, &status, 0) < 0 && errno == EINTR) {
  }
  g_proxy = -1;
}
