/* -t: the workload's pseudo-terminal. The child opens it in the container's own devpts (so the
 * slave's name means something inside), makes the slave its controlling terminal and fds 0-2, and
 * sends the master to the monitor over a socketpair (SCM_RIGHTS, as runc's console socket). The
 * monitor relays its stdin to the master and the master to its stdout until every slave fd is
 * closed, with the caller's terminal in raw mode meanwhile: Ctrl-C then reaches the workload as a
 * byte, and the pty's line discipline turns it into SIGINT for the workload's foreground group. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

static struct termios g_saved;
static volatile int g_raw_fd = -1;
static volatile sig_atomic_t g_winch;

void tty_socketpair(int sv[2]) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) fail("socketpair", errno, "pty master socket");
}

static void send_fd(int sock, int fd) {
  char byte = 'm';
  struct iovec iov = {&byte, 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) fail("sendmsg", errno, "pty master to the monitor");
}

/* The master the child sent, or -1 when it sent none (it failed first, or exited). */
static int recv_fd(int sock) {
  char byte;
  struct iovec iov = {&byte, 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
  if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* In the child, after pivot_root, before the credentials change: the caller's window size (from
 * whichever of fds 0-2 is a terminal) is set on the new pty before the workload can ask for it. */
void tty_child_setup(int sock, uid_t uid) {
  struct winsize ws;
  int have_ws = 0;
  for (int fd = 0; fd <= 2 && !have_ws; fd++) have_ws = ioctl(fd, TIOCGWINSZ, &ws) == 0;
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail("open", errno, "`/dev/ptmx` of the container's devpts");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail("ioctl", errno, "TIOCSPTLCK on `/dev/ptmx`");
  /* TIOCGPTPEER: the slave of this very master, without a path lookup that could be raced. */
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) fail("ioctl", errno, "TIOCGPTPEER on `/dev/ptmx`");
  if (have_ws && ioctl(slave, TIOCSWINSZ, &ws) < 0) fail("ioctl", errno, "TIOCSWINSZ on the pty");
  /* The workload's user owns its terminal (as runc does), so it may reopen it by name. */
  if (fchown(slave, uid, (gid_t)-1) < 0) fail("fchown", errno, "pty slave to uid %u", (unsigned)uid);
  send_fd(sock, master);
  close(master);
  close(sock);
  /* A session of its own, whose controlling terminal is the slave (TIOCSCTTY needs a session leader). */
  if (setsid() < 0) fail("setsid", errno, "session for the pty");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) fail("ioctl", errno, "TIOCSCTTY on the pty");
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(slave, fd) < 0) fail("dup2", errno, "pty slave to fd %d", fd);
  if (slave > 2) close(slave);
}

static void on_winch(int sig) {
  (void)sig;
  g_winch = 1;
}

/* The caller's terminal back as it was; async-signal-safe (tcsetattr is). */
static void restore_terminal(void) {
  if (g_raw_fd >= 0) tcsetattr(g_raw_fd, TCSADRAIN, &g_saved);
  g_raw_fd = -1;
}

/* The node process died (even by SIGKILL): put the terminal back, then go; the workload, whose
 * parent-death signal is SIGKILL, follows. */
static void on_parent_death(int sig) {
  (void)sig;
  restore_terminal();
  _exit(EXIT_SETUP_FAILED);
}

void tty_monitor_arm(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  /* No SA_RESTART: poll returns EINTR, and the loop copies the new size. */
  sa.sa_handler = on_winch;
  sigaction(SIGWINCH, &sa, NULL);
  sa.sa_handler = on_parent_death;
  sigaction(SIGPWR, &sa, NULL);
  /* Instead of SIGKILL (run.c): a signal we can catch to restore the terminal. */
  if (prctl(PR_SET_PDEATHSIG, SIGPWR, 0, 0, 0) < 0) fail("prctl", errno, "PR_SET_PDEATHSIG");
}

static void copy_winsize(int from, int master) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(master, TIOCSWINSZ, &ws);
}

/* Writes all of buf; 0 when the reader is gone (EPIPE and the like). Waits out O_NONBLOCK fds. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (n <= 0) return 0;
    buf += n;
    len -= (size_t)n;
  }
  return 1;
}

/*
 * The monitor's part, once the workload runs: receives the master and relays until the pty has
 * no slave open any more (read gives EIO: the workload and everything it started are gone).
 * Raw mode on our stdin only when it is a terminal (-it); restored before returning. Returns 0, or
 * -1 when no master came (the child failed before sending it: its error says why).
 */
int tty_monitor_relay(int sock) {
  int master = recv_fd(sock);
  close(sock);
  if (master < 0) return -1;
  int winsize_from = isatty(0) ? 0 : isatty(1) ? 1 : -1;
  if (isatty(0) && tcgetattr(0, &g_saved) == 0) {
    struct termios raw = g_saved;
    cfmakeraw(&raw);
    g_raw_fd = 0;
    if (tcsetattr(0, TCSADRAIN, &raw) < 0) g_raw_fd = -1;
  }
  /* The size may have changed between the child's copy and our handler. */
  if (winsize_from >= 0) copy_winsize(winsize_from, master);
  char buf[16384];
  int in_open = 1, out_open = 1;
  for (;;) {
    if (g_winch) {
      g_winch = 0;
      if (winsize_from >= 0) copy_winsize(winsize_from, master);
    }
    struct pollfd p[2] = {{master, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) {
        if (out_open) out_open = write_all(1, buf, (size_t)n);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        break;
      }
    }
    if (in_open && p[1].revents) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) write_all(master, buf, (size_t)n);
      /* EOF or a hangup of our stdin: stop reading it; the workload runs on. */
      else if (n == 0 || (errno != EINTR && errno != EAGAIN)) in_open = 0;
    }
  }
  restore_terminal();
  close(master);
  return 0;
}
