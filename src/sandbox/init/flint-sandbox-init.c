/*
 * flint-sandbox-init: the first program inside a Flint bwrap sandbox (pid 2, under bwrap's
 * reaper). One exec instead of setpriv + sh + socat + a wait loop, which measured ~60 ms of a
 * cold start on a busy 2-core host. Compiled by the driver on first use (cc -O2 -static); without
 * a C compiler the driver falls back to the shell version (sandbox-init-script.ts).
 *
 *   flint-sandbox-init UID NOFILE PORT SOCKET -- COMMAND [ARG...]
 *   flint-sandbox-init --launch NETNS|- CGROUP_PROCS... -- PROGRAM [ARG...]   (host side)
 *   flint-sandbox-init --hold-netns                                           (host side)
 *
 * Host-side modes, run by the driver as root outside any sandbox:
 * --launch joins the sandbox's cgroups (writing its own pid, so everything bwrap forks starts
 *   inside them: no window where a process runs unlimited) and, unless NETNS is "-", enters a
 *   network namespace prepared ahead of time, then execs PROGRAM (bwrap).
 * --hold-netns creates a network namespace with its loopback up, prints "ready" and keeps it
 *   alive until its stdin closes: the driver's pool of namespaces (egress attached ahead of time).
 *
 * In-sandbox mode:
 * 1. Listens on 127.0.0.1:PORT inside the sandbox's network namespace, BEFORE the runtime starts,
 *    so the runtime's first connection can never race the relay (it waits in the backlog).
 * 2. Forks the relay (double fork: bwrap's pid 1 reaps it): each accepted connection is spliced
 *    to the unix SOCKET the host serves (bind-mounted in; the host pipes it to the Runtime API).
 * 3. Drops privileges for good: empty bounding, inheritable and ambient capability sets, no
 *    supplementary groups, real/effective/saved uid and gid = UID, RLIMIT_NOFILE = NOFILE.
 * 4. Execs COMMAND, which keeps pid 2 and the sandbox's stdout/stderr.
 * bwrap has already set no_new_privs and installed the seccomp filter.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sched.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "flint-sandbox-init: %s: %s\n", what, strerror(errno));
  _exit(125);
}

/* Copies what one side sends to the other until both directions are done. */
static void splice_pair(int a, int b) {
  struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  int open_in[2] = {1, 1};
  char buf[65536];
  while (open_in[0] || open_in[1]) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; i++) {
      if (!open_in[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n <= 0) {
        open_in[i] = 0;
        p[i].fd = -1;
        shutdown(p[1 - i].fd, SHUT_WR);
        continue;
      }
      for (ssize_t off = 0; off < n;) {
        ssize_t w = write(p[1 - i].fd, buf + off, (size_t)(n - off));
        if (w < 0) {
          if (errno == EINTR) continue;
          return;
        }
        off += w;
      }
    }
  }
}

static void relay(int listener, const char *path) {
  signal(SIGCHLD, SIG_IGN); /* connection handlers are reaped by the kernel */
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  strncpy(un.sun_path, path, sizeof un.sun_path - 1);
  for (;;) {
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      _exit(1);
    }
    /* Without TCP_NODELAY a response relayed in two writes (headers, body) waits out the
       runtime's delayed ACK: ~40 ms per warm invoke for Node's HTTP client. */
    int nodelay = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
    pid_t pid = fork();
    if (pid == 0) {
      close(listener);
      int u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (u >= 0 && connect(u, (struct sockaddr *)&un, sizeof un) == 0) splice_pair(c, u);
      _exit(0);
    }
    close(c);
  }
}

static void drop_privileges(uid_t uid, rlim_t nofile) {
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL) break;
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct rlimit rl = {nofile, nofile};
  if (setrlimit(RLIMIT_NOFILE, &rl) < 0) die("setrlimit");
  if (setgroups(0, NULL) < 0) die("setgroups");
  if (setresgid(uid, uid, uid) < 0) die("setresgid");
  if (setresuid(uid, uid, uid) < 0) die("setresuid");
  /* Leaving uid 0 cleared the permitted and effective sets; clear inheritable too. */
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capset, &h, d) < 0) die("capset");
  if (getuid() != uid || geteuid() != uid || getgid() != uid || setresuid(0, 0, 0) == 0) {
    fprintf(stderr, "flint-sandbox-init: privileges were not dropped\n");
    _exit(125);
  }
}

static int launch(int argc, char **argv) {
  int sep = 3;
  while (sep < argc && strcmp(argv[sep], "--") != 0) sep++;
  if (sep >= argc - 1) {
    fprintf(stderr, "usage: flint-sandbox-init --launch NETNS|- CGROUP_PROCS... -- PROGRAM [ARG...]\n");
    return 125;
  }
  char pid[32];
  int len = snprintf(pid, sizeof pid, "%d", (int)getpid());
  for (int i = 3; i < sep; i++) {
    int fd = open(argv[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, pid, (size_t)len) != len) die(argv[i]);
    close(fd);
  }
  if (strcmp(argv[2], "-") != 0) {
    int ns = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (ns < 0) die(argv[2]);
    if (setns(ns, CLONE_NEWNET) < 0) die("setns");
    close(ns);
  }
  execv(argv[sep + 1], argv + sep + 1);
  die(argv[sep + 1]);
  return 125;
}

static int hold_netns(void) {
  if (unshare(CLONE_NEWNET) < 0) die("unshare(CLONE_NEWNET)");
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die("lo flags");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die("lo up");
  close(s);
  if (write(1, "ready\n", 6) != 6) die("write");
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--launch") == 0) return launch(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "--hold-netns") == 0) return hold_netns();
  if (argc < 7 || strcmp(argv[5], "--") != 0) {
    fprintf(stderr, "usage: flint-sandbox-init UID NOFILE PORT SOCKET -- COMMAND [ARG...]\n");
    return 125;
  }
  uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
  rlim_t nofile = (rlim_t)strtoul(argv[2], NULL, 10);
  int port = atoi(argv[3]);
  if (uid == 0) {
    fprintf(stderr, "flint-sandbox-init: refusing to run the function as root\n");
    return 125;
  }

  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0) die("socket");
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(l, (struct sockaddr *)&in, sizeof in) < 0) die("bind 127.0.0.1");
  if (listen(l, 128) < 0) die("listen");

  drop_privileges(uid, nofile);

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (fork() == 0) relay(l, argv[4]);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  close(l);
  execvp(argv[6], argv + 6);
  int err = errno;
  fprintf(stderr, "flint-sandbox-init: exec %s: %s\n", argv[6], strerror(err));
  return err == ENOENT ? 127 : 126;
}
