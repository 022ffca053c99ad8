import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSandboxSeccomp, DENIED_SYSCALLS } from '../../src/sandbox/seccomp/sandbox-seccomp-profile.js';
import { syscallArch } from '../../src/sandbox/seccomp/syscall-table.js';

/**
 * Runs a classic-BPF seccomp program the way the kernel does (the subset the compiler emits:
 * LD|W|ABS, JEQ/JGE/JSET with K, JA, RET|K) over one seccomp_data record.
 */
function runFilter(prog: Buffer, data: { nr: number; arch: number; args?: number[] }): number {
  const mem = Buffer.alloc(64);
  mem.writeInt32LE(data.nr, 0);
  mem.writeUInt32LE(data.arch, 4);
  (data.args ?? []).forEach((a, i) => mem.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a)), 16 + 8 * i));
  let a = 0;
  for (let pc = 0; pc < prog.length / 8; pc++) {
    const code = prog.readUInt16LE(pc * 8), jt = prog[pc * 8 + 2]!, jf = prog[pc * 8 + 3]!, k = prog.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: a = mem.readUInt32LE(k); break;
      case 0x15: pc += a === k ? jt : jf; break;
      case 0x35: pc += a >= k ? jt : jf; break;
      case 0x45: pc += (a & k) !== 0 ? jt : jf; break;
      case 0x05: pc += k; break;
      case 0x06: return k;
      default: throw new Error(`unexpected opcode ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

const ALLOW = 0x7fff0000, EPERM = 0x00050001, ENOSYS = 0x00050026, KILL = 0x80000000;

for (const arch of ['x64', 'arm64']) {
  const table = syscallArch(arch)!;
  const prog = compileSandboxSeccomp(arch);
  const call = (name: string, args?: number[]) => runFilter(prog, { nr: table.numbers[name]!, arch: table.auditArch, args });

  test(`seccomp ${arch}: every denied system call that exists on the architecture fails with EPERM`, () => {
    const present = DENIED_SYSCALLS.filter((n) => table.numbers[n] !== undefined);
    assert.ok(present.length > 40);
    for (const name of present) assert.equal(call(name), EPERM, name);
  });

  test(`seccomp ${arch}: ordinary system calls pass`, () => {
    // read/write/openat/mmap/futex/epoll_wait etc. are not in the table: numbers 0..15 on x86_64 are read..ioctl.
    for (const nr of arch === 'x64' ? [0, 1, 2, 3, 9, 202, 232, 257] : [63, 64, 56, 57, 222, 98, 22]) {
      assert.equal(runFilter(prog, { nr, arch: table.auditArch }), ALLOW, `nr ${nr}`);
    }
  });

  test(`seccomp ${arch}: clone may start threads and processes but not namespaces; clone3 reports ENOSYS`, () => {
    const CLONE_THREAD_FLAGS = 0x003d0f00; // what glibc passes for pthread_create
    assert.equal(call('clone', [CLONE_THREAD_FLAGS]), ALLOW);
    assert.equal(call('clone', [17]), ALLOW); // fork: SIGCHLD
    for (const ns of [0x10000000, 0x20000000, 0x40000000, 0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x00000080]) {
      assert.equal(call('clone', [17 | ns]), EPERM, `flag ${ns.toString(16)}`);
    }
    assert.equal(call('clone3'), ENOSYS);
  });

  test(`seccomp ${arch}: terminal injection ioctls and ASLR-disabling personality are refused`, () => {
    assert.equal(call('ioctl', [1, 0x5412]), EPERM); // TIOCSTI
    assert.equal(call('ioctl', [1, 0x541c]), EPERM); // TIOCLINUX
    assert.equal(call('ioctl', [1, 0x5401]), ALLOW); // TCGETS
    assert.equal(call('personality', [0xffffffff]), ALLOW);
    assert.equal(call('personality', [0]), ALLOW);
    assert.equal(call('personality', [0x0040000]), EPERM); // ADDR_NO_RANDOMIZE
  });

  test(`seccomp ${arch}: a foreign architecture's system call kills the process`, () => {
    assert.equal(runFilter(prog, { nr: 0, arch: 0x40000003 /* AUDIT_ARCH_I386 */ }), KILL);
  });
}

test('seccomp x64: x32 ABI system calls are refused', () => {
  const prog = compileSandboxSeccomp('x64');
  assert.equal(runFilter(prog, { nr: 0x40000000 + 1, arch: 0xc000003e }), ENOSYS);
});

test('seccomp: an architecture without a table is an error, not an empty filter', () => {
  assert.throws(() => compileSandboxSeccomp('mips'), /no seccomp syscall table for architecture mips/);
});
