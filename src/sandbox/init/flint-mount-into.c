/*
 * flint-mount-into: makes a function's code and layers appear inside a bwrap sandbox that is
 * already running (a pre-initialized runtime, "stem cell"), read-only, without mounting anything
 * on the host. Run by the bwrap driver as root on the host (one --serve process per server, a
 * child of it per bind), and only once bwrap has exec'd the sandbox's command, i.e. once the
 * sandbox's mount namespace is complete; compiled on first use like flint-sandbox-init
 * (cc -O2 -static).
 *
 *   flint-mount-into --serve
 *   flint-mount-into PID SOURCE TARGET [SOURCE TARGET]...
 *   flint-mount-into --probe DIR
 *
 * SOURCE is an absolute host directory, or `overlay=LOWER:LOWER...` for a read-only overlayfs of
 * those directories (the first one on top, as in overlayfs' lowerdir option).
 * For every pair, while still in the host's mount namespace:
 * 1. A detached mount that is attached nowhere: for a directory, open_tree(OPEN_TREE_CLONE |
 *    AT_RECURSIVE), a copy of its mount tree like a recursive bind mount (bwrap's --ro-bind is
 *    recursive too); for an overlay, a new overlayfs built with fsopen/fsconfig/fsmount (its
 *    lower directories are resolved here, on the host).
 * 2. mount_setattr(..., AT_RECURSIVE): read-only, nosuid, nodev on it and everything under it,
 *    the flags bwrap's --ro-bind gives a cold sandbox's /var/task and /opt.
 * 3. TARGET (a path inside the sandbox, e.g. /var/task) is resolved under /proc/PID/root with
 *    openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), so nothing the sandbox did can redirect it;
 *    it must be a directory that is not a mount point yet (a sandbox is bound once).
 * Then it joins the sandbox's mount namespace (setns on a pidfd: a pid reused meanwhile cannot be
 * mistaken for the sandbox) and attaches each copy with move_mount. A copy never attached is
 * dissolved when its descriptor closes, so a failure at any step leaves nothing mounted anywhere;
 * an attached copy lives exactly as long as the sandbox's mount namespace.
 *
 * --serve (what the driver runs, once per server): reads requests from stdin, one a line, fields
 * separated by tabs: `ID PID SOURCE TARGET [SOURCE TARGET]...`; does each in a child process of
 * its own (setns changes the caller's namespace for good, the server stays in the host's) and
 * answers `ID ok` or `ID error WHY` on stdout. It exits when stdin closes or its parent dies.
 * A fork of this small process costs a fraction of a millisecond; a spawn from the Flint server
 * (a large Node.js process) measured ~15-20 ms on a busy 2-core host, most of a pre-initialized
 * start.
 *
 * --probe runs the same syscalls in a private mount namespace of its own (the driver's start-up
 * check): DIR is cloned read-only onto itself there, a write must fail with EROFS, and the
 * namespace goes away with the process.
 *
 * One-shot modes exit 0 on success; otherwise 1 with one line on stderr naming the step that failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#define MAX_PAIRS 8
#define RO_ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)

/* Why the last step failed: one line, printed (one-shot modes) or answered (--serve). */
static char why[1024];

static int fail(const char *step, const char *path) {
  snprintf(why, sizeof why, "%s %s: %s", step, path, strerror(errno));
  return 1;
}

/* A detached, recursively read-only copy of the mount tree at `source`, or -1. */
static int readonly_clone(const char *source) {
  int fd = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (fd < 0) return -1;
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = RO_ATTRS;
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* A detached read-only overlayfs of `lower` (colon-separated, topmost first), or -1. */
static int readonly_overlay(const char *lower) {
  int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  int fd = -1;
  // "overlay" as the source, as `mount -t overlay overlay` names a cold start's /opt.
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", "overlay", 0) == 0 &&
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) == 0 &&
      syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
    fd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, RO_ATTRS);
  int e = errno;
  close(fs);
  errno = e;
  return fd;
}

static int attach(int tree, int target) {
  return (int)syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int probe(const char *dir) {
  if (unshare(CLONE_NEWNS) != 0) return fail("unshare", "mount namespace");
  // Private, so nothing done here can propagate back to the host's namespace.
  if (syscall(SYS_mount, "none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return fail("make private", "/");
  int tree = readonly_clone(dir);
  if (tree < 0) return fail("clone", dir);
  int target = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (target < 0) return fail("open", dir);
  if (attach(tree, target) != 0) return fail("move_mount onto", dir);
  char file[4096];
  snprintf(file, sizeof file, "%s/.flint-probe-%d", dir, (int)getpid());
  int w = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (w >= 0) {
    close(w);
    unlink(file);
    errno = EPERM;
    return fail("still writable after a read-only clone:", dir);
  }
  if (errno != EROFS) return fail("unexpected error writing under", dir);
  return 0;
}

/* Attaches each SOURCE at its TARGET inside the sandbox of `pidArg` (args: SOURCE TARGET pairs). */
static int bind_into(const char *pidArg, int pairs, char **args) {
  char *end;
  long pid = strtol(pidArg, &end, 10);
  if (*end != '\0' || pid <= 1) {
    errno = EINVAL;
    return fail("bad pid", pidArg);
  }
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) return fail("pidfd_open", pidArg);
  char rootPath[64];
  snprintf(rootPath, sizeof rootPath, "/proc/%ld/root", pid);
  int root = open(rootPath, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return fail("open", rootPath);

  int trees[MAX_PAIRS], targets[MAX_PAIRS];
  for (int i = 0; i < pairs; i++) {
    const char *source = args[2 * i], *target = args[2 * i + 1];
    if (target[0] != '/') {
      errno = EINVAL;
      return fail("target must be absolute:", target);
    }
    if (strncmp(source, "overlay=", 8) == 0) {
      trees[i] = readonly_overlay(source + 8);
      if (trees[i] < 0) return fail("overlay of", source + 8);
    } else {
      if (source[0] != '/') {
        errno = EINVAL;
        return fail("source must be absolute:", source);
      }
      trees[i] = readonly_clone(source);
      if (trees[i] < 0) return fail("clone", source);
    }
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    targets[i] = (int)syscall(SYS_openat2, root, target + 1, &how, sizeof how);
    if (targets[i] < 0) return fail("open sandbox path", target);
    struct statx stx;
    if (statx(targets[i], "", AT_EMPTY_PATH, STATX_TYPE, &stx) != 0) return fail("statx", target);
    if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
      errno = EBUSY;
      return fail("already mounted:", target);
    }
  }
  // The pid's /proc root was opened while the pidfd held it: if the process is still alive now,
  // both refer to the sandbox (not to a process that reused its pid).
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) != 0) return fail("sandbox gone:", pidArg);
  if (setns(pidfd, CLONE_NEWNS) != 0) return fail("setns into the mount namespace of", pidArg);
  for (int i = 0; i < pairs; i++) {
    if (attach(trees[i], targets[i]) != 0) return fail("move_mount onto", args[2 * i + 1]);
  }
  return 0;
}

/* --serve: one request a line on stdin, one answer a line on stdout, each done in a child. */
static int serve(void) {
  // Never outlive the Flint server that started it.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 0;
  static char line[65536];
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strlen(line);
    if (n == 0 || line[n - 1] != '\n') {
      printf("- error request too long\n");
      fflush(stdout);
      return 1; // the rest of the line would be misread as requests
    }
    line[n - 1] = '\0';
    char *fields[2 + 2 * MAX_PAIRS + 1];
    int count = 0;
    for (char *f = line, *tab; f && count < (int)(sizeof fields / sizeof *fields); f = tab ? tab + 1 : NULL) {
      tab = strchr(f, '\t');
      if (tab) *tab = '\0';
      fields[count++] = f;
    }
    const char *id = count > 0 ? fields[0] : "-";
    if (count < 4 || count % 2 != 0 || (count - 2) / 2 > MAX_PAIRS) {
      printf("%s error bad request (%d fields)\n", id, count);
      fflush(stdout);
      continue;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
      int r = bind_into(fields[1], (count - 2) / 2, fields + 2);
      char out[1200];
      int len = r == 0 ? snprintf(out, sizeof out, "%s ok\n", id) : snprintf(out, sizeof out, "%s error %s\n", id, why);
      if (len > (int)sizeof out - 1) len = (int)sizeof out - 1, out[len - 1] = '\n';
      ssize_t w = write(1, out, (size_t)len);
      _exit(w == len ? (r == 0 ? 0 : 1) : 3);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) > 1) {
      printf("%s error bind helper failed (%s)\n", id, child < 0 ? strerror(errno) : "child died");
      fflush(stdout);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  int r;
  if (argc == 2 && strcmp(argv[1], "--serve") == 0) return serve();
  if (argc == 3 && strcmp(argv[1], "--probe") == 0) r = probe(argv[2]);
  else if (argc >= 4 && argc % 2 == 0 && (argc - 2) / 2 <= MAX_PAIRS) r = bind_into(argv[1], (argc - 2) / 2, argv + 2);
  else {
    fprintf(stderr, "usage: flint-mount-into --serve | PID SOURCE TARGET [SOURCE TARGET]... | --probe DIR\n");
    return 2;
  }
  if (r != 0) fprintf(stderr, "flint-mount-into: %s\n", why);
  return r;
}
