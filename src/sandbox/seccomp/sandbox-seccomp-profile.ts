import { BpfAssembler, SeccompData, SeccompRet } from './bpf-assembler.js';
import { syscallArch } from './syscall-table.js';

const EPERM = 1;
const ENOSYS = 38;

/**
 * System calls a function never needs and that widen the kernel attack surface or reach outside
 * the sandbox. The list follows the spirit of the OCI default profiles (what Docker's default
 * seccomp profile refuses without extra capabilities): namespace and mount manipulation, kernel
 * modules and kexec, keyrings, BPF and perf, tracing other processes, clock and host settings,
 * io_uring (its own syscall surface bypasses seccomp for the operations it queues).
 * Refused calls fail with EPERM, as in Lambda, rather than killing the function.
 */
export const DENIED_SYSCALLS: readonly string[] = [
  // namespaces, mounts, root changes
  'unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'chroot', 'open_tree', 'open_tree_attr', 'move_mount',
  'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr',
  // kernel code and reboots
  'init_module', 'finit_module', 'delete_module', 'create_module', 'get_kernel_syms', 'query_module',
  'kexec_load', 'kexec_file_load', 'reboot', 'swapon', 'swapoff', 'uselib', '_sysctl', 'sysfs', 'ustat', 'nfsservctl',
  // keyrings, BPF, perf, userfaultfd (a common exploit primitive)
  'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd', 'lookup_dcookie', 'fanotify_init',
  // other processes' memory
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'move_pages', 'migrate_pages',
  // host-wide settings and hardware access
  'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex', 'syslog', 'acct', 'quotactl', 'quotactl_fd',
  'vhangup', 'iopl', 'ioperm', 'modify_ldt', 'sethostname', 'setdomainname',
  // file handles bypass path-based confinement
  'open_by_handle_at', 'name_to_handle_at',
  // io_uring operations are not individually filtered by seccomp
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
];

/** clone() flags that create namespaces (linux/sched.h): CLONE_NEWTIME|NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET. */
const CLONE_NAMESPACE_FLAGS = 0x00000080 | 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
/** ioctl requests that inject input into or control a terminal (TIOCSTI, TIOCLINUX). */
const TERMINAL_INJECTION_IOCTLS = [0x5412, 0x541c];
/** personality() values a normal program uses: PER_LINUX, PER_LINUX32, UNAME26 variants, and the query. */
const ALLOWED_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/**
 * Builds the sandbox's seccomp filter for an architecture (Node's `process.arch`). Build it once
 * per server and reuse the bytes for every sandbox.
 */
export function compileSandboxSeccomp(arch: string = process.arch): Buffer {
  const table = syscallArch(arch);
  if (!table) throw new Error(`no seccomp syscall table for architecture ${arch}`);
  const nr = (name: string) => table.numbers[name];
  const a = new BpfAssembler();
  // A foreign ABI (e.g. int 0x80 on x86_64) would index a different table: kill outright.
  a.load(SeccompData.arch).jeq(table.auditArch, 0, 'kill');
  a.load(SeccompData.nr);
  if (table.x32Bit !== undefined) a.jge(table.x32Bit, 'enosys');
  for (const name of DENIED_SYSCALLS) {
    const n = nr(name);
    if (n !== undefined) a.jeq(n, 'eperm');
  }
  // clone3 passes its flags in memory seccomp cannot read: report it missing so libc falls back
  // to clone(), whose flags we can check.
  a.jeq(nr('clone3')!, 'enosys');
  a.jeq(nr('clone')!, 'clone');
  a.jeq(nr('ioctl')!, 'ioctl');
  a.jeq(nr('personality')!, 'personality');
  a.ret(SeccompRet.allow);

  a.label('clone').load(SeccompData.argLow(0)).jset(CLONE_NAMESPACE_FLAGS, 'eperm').ret(SeccompRet.allow);

  a.label('ioctl').load(SeccompData.argLow(1));
  for (const req of TERMINAL_INJECTION_IOCTLS) a.jeq(req, 'eperm');
  a.ret(SeccompRet.allow);

  a.label('personality').load(SeccompData.argLow(0));
  for (const p of ALLOWED_PERSONALITIES) a.jeq(p, 'allow');
  a.jump('eperm');

  a.label('allow').ret(SeccompRet.allow);
  a.label('eperm').ret(SeccompRet.errno(EPERM));
  a.label('enosys').ret(SeccompRet.errno(ENOSYS));
  a.label('kill').ret(SeccompRet.killProcess);
  return a.assemble();
}
