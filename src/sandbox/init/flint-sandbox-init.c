/*
 * flint-sandbox-init: the first program inside a Flint bwrap sandbox, and its pid 1 (bwrap
 * --as-pid-1: no reaper process of bwrap's). One exec instead of setpriv + sh + socat + a wait
 * loop, which measured ~60 ms of a cold start on a busy 2-core host. Compiled by the driver on
 * first use (cc -O2 -static); without a C compiler the driver falls back to the shell version
 * (sandbox-init-script.ts).
 *
 *   flint-sandbox-init UID NOFILE PORT SOCKET [PORT SOCKET]... -- COMMAND [ARG...]
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
 * In-sandbox mode (one process per sandbox beside the runtime: an idle warm environment's memory
 * beyond its runtime's is mostly bwrap's and this process's, so it stays small):
 * 1. Listens on 127.0.0.1:PORT inside the sandbox's network namespace for each PORT SOCKET pair
 *    (the Runtime API at 9001; Flint's own API), BEFORE the runtime starts, so the runtime's first
 *    connection can never race the relay (it waits in the backlog).
 * 2. Drops privileges for good: empty bounding, inheritable and ambient capability sets, no
 *    supplementary groups, real/effective/saved uid and gid = UID, RLIMIT_NOFILE = NOFILE. The
 *    relay below runs with the function's own uid and nothing more (and, having changed uid, is
 *    not dumpable: the function cannot ptrace it).
 * 3. Forks COMMAND (the runtime, with the sandbox's stdout/stderr).
 * 4. Stays as pid 1: reaps every orphan, relays each accepted connection to the unix SOCKET paired
 *    with its port, which the host serves (bind-mounted in; the host pipes it to the Runtime API or
 *    to Flint's front door, and nowhere else) in one poll loop, and
 *    exits with COMMAND's status when COMMAND ends (128+N for signal N, as bwrap reports it),
 *    which ends every process left in the sandbox.
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
#include <stdint.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "flint-sandbox-init: %s: %s\n", what, strerror(errno));
  _exit(125);
}

/*
 * The relay: one poll loop in this process (no process per connection). Sockets are non-blocking;
 * what one side cannot take yet waits in a buffer of its own (mmap'd, returned once written) and
 * reading from the other side pauses meanwhile, so a stalled peer holds back only its connection.
 */
#define MAX_CONNS 128
#define CHUNK 65536

struct conn {
  int fd[2];     /* 0: the TCP side (the runtime), 1: the unix side (the host) */
  int reading[2]; /* still reading from fd[i] */
  char *pend[2]; /* bytes read from fd[i] that fd[1-i] has not taken yet */
  size_t plen[2], poff[2], pcap[2];
};

static struct conn conns[MAX_CONNS];
static int nconns;
static char chunk[CHUNK];

static void conn_close(int k) {
  struct conn *c = &conns[k];
  for (int i = 0; i < 2; i++) {
    close(c->fd[i]);
    if (c->pend[i]) munmap(c->pend[i], c->pcap[i]);
  }
  conns[k] = conns[--nconns];
}

/* Writes direction i's pending bytes to fd[1-i]; -1 when the connection is broken. */
static int flush_pending(struct conn *c, int i) {
  while (c->poff[i] < c->plen[i]) {
    ssize_t w = send(c->fd[1 - i], c->pend[i] + c->poff[i], c->plen[i] - c->poff[i], MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    c->poff[i] += (size_t)w;
  }
  munmap(c->pend[i], c->pcap[i]);
  c->pend[i] = NULL;
  c->plen[i] = c->poff[i] = c->pcap[i] = 0;
  if (!c->reading[i]) shutdown(c->fd[1 - i], SHUT_WR);
  return 0;
}

/* Reads what fd[i] has and passes it on to fd[1-i]; -1 when the connection is broken. */
static int pump(struct conn *c, int i) {
  ssize_t n = read(c->fd[i], chunk, sizeof chunk);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
  if (n == 0) {
    c->reading[i] = 0;
    shutdown(c->fd[1 - i], SHUT_WR);
    return 0;
  }
  size_t off = 0;
  while (off < (size_t)n) {
    ssize_t w = send(c->fd[1 - i], chunk + off, (size_t)n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      size_t rest = (size_t)n - off;
      void *b = mmap(NULL, rest, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (b == MAP_FAILED) return -1;
      memcpy(b, chunk + off, rest);
      c->pend[i] = b;
      c->pcap[i] = rest;
      c->plen[i] = rest;
      c->poff[i] = 0;
      return 0;
    }
    off += (size_t)w;
  }
  return 0;
}

/* At most this many PORT SOCKET pairs (two are used). */
#define MAX_RELAYS 4

static void accept_one(int listener, const struct sockaddr_un *un) {
  int t = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (t < 0) return;
  /* Without TCP_NODELAY a response relayed in two writes (headers, body) waits out the
     runtime's delayed ACK: ~40 ms per warm invoke for Node's HTTP client. */
  int nodelay = 1;
  setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
  int u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (u < 0 || connect(u, (const struct sockaddr *)un, sizeof *un) != 0 || fcntl(u, F_SETFL, O_NONBLOCK) != 0) {
    if (u >= 0) close(u);
    close(t);
    return;
  }
  struct conn *c = &conns[nconns++];
  memset(c, 0, sizeof *c);
  c->fd[0] = t;
  c->fd[1] = u;
  c->reading[0] = c->reading[1] = 1;
}

/* Reaps every exited child; when it is the runtime, ends the sandbox with the runtime's status. */
static void reap(pid_t runtime) {
  int status;
  pid_t p;
  while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
    if (p != runtime) continue;
    /* bwrap reports a command killed by signal N as 128+N; so does this init (pid 1 cannot die
       of a signal sent from inside). Exiting pid 1 makes the kernel kill everything left. */
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

static void serve(const int *listeners, const struct sockaddr_un *uns, int nrelays, int sigfd, pid_t runtime) {
  static struct pollfd p[1 + MAX_RELAYS + 2 * MAX_CONNS];
  const int base = 1 + nrelays;
  for (;;) {
    p[0] = (struct pollfd){sigfd, POLLIN, 0};
    for (int r = 0; r < nrelays; r++) p[1 + r] = (struct pollfd){nconns < MAX_CONNS ? listeners[r] : -1, POLLIN, 0};
    for (int k = 0; k < nconns; k++) {
      struct conn *c = &conns[k];
      for (int s = 0; s < 2; s++) {
        short ev = (short)((c->reading[s] && c->plen[s] == 0 ? POLLIN : 0) | (c->plen[1 - s] > 0 ? POLLOUT : 0));
        p[base + 2 * k + s] = (struct pollfd){ev ? c->fd[s] : -1, ev, 0};
      }
    }
    int n = nconns;
    if (poll(p, (nfds_t)(base + 2 * n), -1) < 0) {
      if (errno == EINTR) continue;
      _exit(125);
    }
    if (p[0].revents) {
      struct signalfd_siginfo si;
      while (read(sigfd, &si, sizeof si) == sizeof si) {
      }
      reap(runtime);
    }
    /* Backwards, so closing k (which moves the last connection into k) skips nothing. */
    for (int k = n - 1; k >= 0; k--) {
      struct conn *c = &conns[k];
      int broken = 0;
      for (int s = 0; s < 2 && !broken; s++) {
        short r = p[base + 2 * k + s].revents;
        if (!r) continue;
        if (c->plen[1 - s] > 0 && flush_pending(c, 1 - s) < 0) broken = 1;
        else if (c->reading[s] && c->plen[s] == 0 && (r & (POLLIN | POLLHUP | POLLERR)) && pump(c, s) < 0) broken = 1;
      }
      if (broken || (!c->reading[0] && !c->reading[1] && c->plen[0] == 0 && c->plen[1] == 0)) conn_close(k);
    }
    for (int r = 0; r < nrelays; r++) {
      if (p[1 + r].revents && nconns < MAX_CONNS) accept_one(listeners[r], &uns[r]);
    }
  }
}

/*
 * Unmaps from this process the pages of its own read-only, file-backed segments (code, constant
 * data) that starting up touched: static libc's start-up is most of them, and pid 1 lives as long
 * as the sandbox. They stay in the page cache, shared; the relay loop faults back in the few it
 * runs. Measured: 712 KiB resident down to ~370 KiB per sandbox. Only segments that are never
 * writable (no relocation ever wrote them, unlike RELRO, which sits in a writable segment), so
 * nothing is lost: a dropped page reads back the same from the file.
 */
static int drop_readonly_segments(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  (void)data;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W)) continue;
    uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
    uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
    madvise((void *)start, end - start, MADV_DONTNEED);
  }
  return 1; /* the executable only */
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
  dl_iterate_phdr(drop_readonly_segments, NULL); /* it may wait in the pool for minutes */
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--launch") == 0) return launch(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "--hold-netns") == 0) return hold_netns();
  int sep = 3;
  while (sep < argc && strcmp(argv[sep], "--") != 0) sep++;
  int nrelays = (sep - 3) / 2;
  if (sep >= argc - 1 || (sep - 3) % 2 != 0 || nrelays < 1 || nrelays > MAX_RELAYS) {
    fprintf(stderr, "usage: flint-sandbox-init UID NOFILE PORT SOCKET [PORT SOCKET]... -- COMMAND [ARG...]\n");
    return 125;
  }
  uid_t uid = (uid_t)strtoul(argv[1], NULL, 10);
  rlim_t nofile = (rlim_t)strtoul(argv[2], NULL, 10);
  if (uid == 0) {
    fprintf(stderr, "flint-sandbox-init: refusing to run the function as root\n");
    return 125;
  }

  int listeners[MAX_RELAYS];
  struct sockaddr_un uns[MAX_RELAYS];
  for (int r = 0; r < nrelays; r++) {
    int port = atoi(argv[3 + 2 * r]);
    memset(&uns[r], 0, sizeof uns[r]);
    uns[r].sun_family = AF_UNIX;
    strncpy(uns[r].sun_path, argv[4 + 2 * r], sizeof uns[r].sun_path - 1);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0) die("socket");
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&in, sizeof in) < 0) die("bind 127.0.0.1");
    if (listen(l, 128) < 0) die("listen");
    listeners[r] = l;
  }

  drop_privileges(uid, nofile);
  /* Changing uids cleared the parent-death signal bwrap's --die-with-parent set: set it again,
     so the sandbox still ends with bwrap. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  /* SIGCHLD arrives through a signalfd in the relay's poll loop: no handler runs, and as pid 1
     no other signal sent from inside the sandbox reaches this process at all. */
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, &old) < 0) die("sigprocmask");
  int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0) die("signalfd");

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[sep + 1], argv + sep + 1);
    int err = errno;
    fprintf(stderr, "flint-sandbox-init: exec %s: %s\n", argv[sep + 1], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  dl_iterate_phdr(drop_readonly_segments, NULL);
  serve(listeners, uns, nrelays, sigfd, pid);
  return 125;
}
