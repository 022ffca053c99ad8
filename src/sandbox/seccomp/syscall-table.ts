/**
 * System call numbers Flint's seccomp profile refers to, per architecture (from the kernel's
 * uapi headers: arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h,
 * which arm64 uses). A name missing from an architecture's table does not exist there.
 */
export interface SyscallArch {
  /** AUDIT_ARCH_* value the kernel puts in seccomp_data.arch. */
  auditArch: number;
  /** x86_64 only: syscalls with this bit set use the x32 ABI and are refused wholesale. */
  x32Bit?: number;
  numbers: Readonly<Record<string, number>>;
}

const common = {
  io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427, open_tree: 428, move_mount: 429,
  fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, clone3: 435, pidfd_getfd: 438,
  mount_setattr: 442, quotactl_fd: 443, open_tree_attr: 467,
};

const x86_64: SyscallArch = {
  auditArch: 0xc000003e,
  x32Bit: 0x40000000,
  numbers: {
    ...common,
    ioctl: 16, clone: 56, ptrace: 101, syslog: 103, uselib: 134, personality: 135, ustat: 136, sysfs: 139,
    vhangup: 153, modify_ldt: 154, pivot_root: 155, _sysctl: 156, adjtimex: 159, chroot: 161, acct: 163,
    settimeofday: 164, mount: 165, umount2: 166, swapon: 167, swapoff: 168, reboot: 169, sethostname: 170,
    setdomainname: 171, iopl: 172, ioperm: 173, create_module: 174, init_module: 175, delete_module: 176,
    get_kernel_syms: 177, query_module: 178, quotactl: 179, nfsservctl: 180, lookup_dcookie: 212,
    clock_settime: 227, kexec_load: 246, add_key: 248, request_key: 249, keyctl: 250, migrate_pages: 256,
    unshare: 272, move_pages: 279, perf_event_open: 298, fanotify_init: 300, name_to_handle_at: 303,
    open_by_handle_at: 304, clock_adjtime: 305, setns: 308, process_vm_readv: 310, process_vm_writev: 311,
    kcmp: 312, finit_module: 313, kexec_file_load: 320, bpf: 321, userfaultfd: 323,
  },
};

const aarch64: SyscallArch = {
  auditArch: 0xc00000b7,
  numbers: {
    ...common,
    lookup_dcookie: 18, ioctl: 29, umount2: 39, mount: 40, pivot_root: 41, nfsservctl: 42, chroot: 51,
    vhangup: 58, quotactl: 60, acct: 89, personality: 92, unshare: 97, kexec_load: 104, init_module: 105,
    delete_module: 106, clock_settime: 112, syslog: 116, ptrace: 117, reboot: 142, sethostname: 161,
    setdomainname: 162, settimeofday: 170, adjtimex: 171, add_key: 217, request_key: 218, keyctl: 219,
    clone: 220, swapon: 224, swapoff: 225, migrate_pages: 238, move_pages: 239, perf_event_open: 241,
    fanotify_init: 262, name_to_handle_at: 264, open_by_handle_at: 265, clock_adjtime: 266, setns: 268,
    process_vm_readv: 270, process_vm_writev: 271, kcmp: 272, finit_module: 273, bpf: 280, userfaultfd: 282,
    kexec_file_load: 294,
  },
};

/** The table for a Node `process.arch`, or undefined when Flint has none for it. */
export function syscallArch(arch: string): SyscallArch | undefined {
  return arch === 'x64' ? x86_64 : arch === 'arm64' ? aarch64 : undefined;
}
