/**
 * Programs that try to break out of a sandbox, run inside it by the escape suite. Each prints one
 * JSON object: attempt name → what happened (an errno code, or what it saw).
 */

/** Node.js: file system, processes and signals. `secrets` are host paths that must stay unreadable. */
export function fileAndProcessAttempts(secrets: Record<string, string>, hostPid: number, hostMarker: string): string {
  return `
    const fs = require('fs'), out = {};
    const tryRead = (p) => { try { fs.readFileSync(p); return 'READ'; } catch (e) { return e.code; } };
    const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'WRITTEN'; } catch (e) { return e.code; } };
    out['read /etc/shadow'] = tryRead('/etc/shadow');
    out['read /proc/1/root/etc/shadow'] = tryRead('/proc/1/root/etc/shadow');
    for (const [name, p] of Object.entries(${JSON.stringify(secrets)})) out['read ' + name] = tryRead(p);
    for (const p of ['/escape', '/var/task/escape', '/opt/escape', '/var/runtime/escape', '/etc/escape', '/usr/escape', '/dev/shm/escape', '/run/flint/escape', '/proc/sys/kernel/hostname'])
      out['write ' + p] = tryWrite(p);
    try { fs.readdirSync('/sys'); out['list /sys'] = 'LISTED'; } catch (e) { out['list /sys'] = e.code; }
    const pids = fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n));
    const cmdlines = pids.map((p) => { try { return fs.readFileSync('/proc/' + p + '/cmdline', 'utf8'); } catch { return ''; } });
    // The marker arrives reversed so this script's own command line does not contain it.
    const marker = ${JSON.stringify([...hostMarker].reverse().join(''))}.split('').reverse().join('');
    out['see host processes'] = cmdlines.some((c) => c.includes(marker)) ? 'SAW HOST' : 'only ' + pids.length + ' own processes';
    try { process.kill(${hostPid}, 0); out['signal the host server'] = 'SIGNALLED'; } catch (e) { out['signal the host server'] = e.code; }
    try { process.setuid(0); out['setuid(0)'] = 'ROOT'; } catch (e) { out['setuid(0)'] = e.code; }
    try { require('child_process').execFileSync('/usr/bin/mknod', ['/tmp/dev-sda', 'b', '8', '0'], { stdio: 'pipe' }); out['mknod a block device'] = 'CREATED'; }
    catch (e) { out['mknod a block device'] = 'refused: ' + String(e.stderr || e.message).trim().split('\\n').pop().replace(/^.*: /, ''); }
    // The sandbox's pid 1 (its init and Runtime API relay): not readable, and a signal sent from
    // inside cannot end it (had SIGKILL landed, the whole sandbox would be gone, this output too).
    out['read the init environment (/proc/1/environ)'] = tryRead('/proc/1/environ');
    for (const sig of ['SIGKILL', 'SIGTERM', 'SIGSTOP']) {
      try { process.kill(1, sig); out[sig + ' to the init'] = 'ignored: init still ' + fs.readFileSync('/proc/1/stat', 'utf8').split(' ')[2]; } catch (e) { out[sig + ' to the init'] = e.code; }
    }
    console.log(JSON.stringify(out));`;
}

/** Node.js: the network. `hostPort` is a server on the host's 127.0.0.1. */
export function networkAttempts(hostPort: number): string {
  return `
    const net = require('net'), out = {};
    const tryConnect = (host) => new Promise((resolve) => {
      const s = net.connect({ host, port: ${hostPort}, timeout: 1500 });
      s.on('connect', () => { s.destroy(); resolve('CONNECTED'); });
      s.on('timeout', () => { s.destroy(); resolve('ETIMEDOUT'); });
      s.on('error', (e) => resolve(e.code));
    });
    (async () => {
      out['connect to host 127.0.0.1'] = await tryConnect('127.0.0.1');
      // slirp4netns maps 10.0.2.2 to the host's loopback unless told not to.
      out['connect to host loopback via 10.0.2.2'] = await tryConnect('10.0.2.2');
      console.log(JSON.stringify(out));
    })();`;
}

/**
 * Python (ctypes): system calls the seccomp filter refuses. Dummy arguments on purpose: an allowed
 * call would fail on them with EFAULT/EBADF/EINVAL, a filtered one fails with EPERM (or ENOSYS)
 * before the kernel looks at them.
 */
export const SYSCALL_ATTEMPTS = String.raw`
import ctypes, errno, json, os, platform
X86 = platform.machine() == 'x86_64'
NR = dict(unshare=272, mount=165, ptrace=101, keyctl=250, add_key=248, bpf=321, perf_event_open=298, setns=308,
          pivot_root=155, chroot=161, init_module=175, userfaultfd=323, io_uring_setup=425, clone=56, clone3=435,
          kexec_load=246, personality=135, open_by_handle_at=304, process_vm_readv=310) if X86 else dict(
          unshare=97, mount=40, ptrace=117, keyctl=219, add_key=217, bpf=280, perf_event_open=241, setns=268,
          pivot_root=41, chroot=51, init_module=105, userfaultfd=282, io_uring_setup=425, clone=220, clone3=435,
          kexec_load=104, personality=92, open_by_handle_at=265, process_vm_readv=270)
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(name, *args):
    r = libc.syscall(ctypes.c_long(NR[name]), *[ctypes.c_long(a) for a in args])
    if r == 0 and name == 'clone':
        os._exit(0)  # only reached if the filter failed: the child leaves at once
    return 'SUCCEEDED' if r >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, SIGCHLD = 0x10000000, 0x00020000, 0x40000000, 17
out = {
  'unshare(CLONE_NEWUSER)': sc('unshare', CLONE_NEWUSER),
  'unshare(CLONE_NEWNS|CLONE_NEWNET)': sc('unshare', CLONE_NEWNS | CLONE_NEWNET),
  'clone(CLONE_NEWUSER)': sc('clone', CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0),
  'clone3': sc('clone3', 0, 0),
  'mount': sc('mount', 0, 0, 0, 0, 0),
  'ptrace(PTRACE_TRACEME)': sc('ptrace', 0, 0, 0, 0),
  'ptrace(PTRACE_ATTACH, 1)': sc('ptrace', 16, 1, 0, 0),
  'keyctl(GET_KEYRING_ID)': sc('keyctl', 0, -3, 1),
  'add_key': sc('add_key', 0, 0, 0, 0, 0),
  'bpf(BPF_PROG_LOAD)': sc('bpf', 5, 0, 0),
  'perf_event_open': sc('perf_event_open', 0, 0, -1, -1, 0),
  'setns': sc('setns', -1, 0),
  'pivot_root': sc('pivot_root', 0, 0),
  'chroot': sc('chroot', 0),
  'init_module': sc('init_module', 0, 0, 0),
  'kexec_load': sc('kexec_load', 0, 0, 0, 0),
  'userfaultfd': sc('userfaultfd', 0),
  'io_uring_setup': sc('io_uring_setup', 1, 0),
  'personality(ADDR_NO_RANDOMIZE)': sc('personality', 0x0040000),
  'open_by_handle_at': sc('open_by_handle_at', -1, 0, 0),
  'process_vm_readv': sc('process_vm_readv', 1, 0, 0, 0, 0, 0),
}
try:
    os.setgid(0); out['setgid(0)'] = 'ROOT'
except OSError as e:
    out['setgid(0)'] = errno.errorcode[e.errno]
print(json.dumps(out))
`;
