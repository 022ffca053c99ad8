import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bwrapArgs, type BwrapPlan } from '../../src/sandbox/bwrap-args.js';

const plan: BwrapPlan = {
  rootEntries: [{ name: 'bin', symlink: 'usr/bin' }, { name: 'lib', symlink: 'usr/lib' }],
  etcDir: '/run/flint/i/etc',
  sandboxDir: '/run/flint/i/s1',
  uid: 1879048200,
  network: 'default',
  netns: 'inherit',
  tmpBytes: 512 << 20,
  taskRoot: '/data/code/abc',
  runtimeDir: '/flint/src/runtimes/nodejs',
  opt: undefined,
  extra: [],
  fds: { info: 3, seccomp: 4 },
  init: { kind: 'native', path: '/run/flint/bin/flint-sandbox-init-x' },
  command: ['/usr/bin/node', '/var/runtime/index.mjs'],
};

/** The [source, destination] pairs of every bind in an argument list. */
function binds(args: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < args.length; i++) if (/^--(ro-)?bind(-try)?$/.test(args[i]!)) out.push([args[i + 1]!, args[i + 2]!]);
  return out;
}

test('bwrap-args: binds only /usr, chosen /etc entries, the code, the runtime and the API socket directory, all read-only', () => {
  const args = bwrapArgs(plan);
  const sep = args.indexOf('--');
  assert.ok(!args.slice(0, sep).includes('--bind'), 'no writable bind');
  const dests = binds(args.slice(0, sep)).map(([, d]) => d);
  assert.deepEqual(dests.filter((d) => !d!.startsWith('/etc/')), ['/usr', '/var/task', '/var/runtime', '/run/flint', '/run/flint-init']);
  assert.ok(!dests.includes('/etc/shadow') && !dests.some((d) => d!.startsWith('/root') || d!.startsWith('/home')));
  assert.deepEqual(binds(args).find(([, d]) => d === '/var/task'), ['/data/code/abc', '/var/task']);
  assert.deepEqual(binds(args).find(([, d]) => d === '/etc/passwd'), ['/run/flint/i/s1/passwd', '/etc/passwd']);
  assert.deepEqual(binds(args).find(([, d]) => d === '/etc/resolv.conf'), ['/run/flint/i/etc/resolv.conf.default', '/etc/resolv.conf']);
});

test('bwrap-args: /tmp is the only writable mount, sized to EphemeralStorage; the root and /dev are remounted read-only last', () => {
  const args = bwrapArgs(plan);
  const tmp = args.indexOf('/tmp');
  assert.deepEqual(args.slice(tmp - 5, tmp + 1), ['--perms', '1777', '--size', String(512 << 20), '--tmpfs', '/tmp']);
  const sep = args.indexOf('--');
  assert.deepEqual(args.slice(sep - 2, sep), ['--remount-ro', '/']);
  assert.equal(args[args.indexOf('--dev') + 2], '--remount-ro');
});

test('bwrap-args: new pid, ipc, uts and cgroup namespaces; the network namespace is bwrap\'s own or the prepared one', () => {
  const inherit = bwrapArgs(plan);
  for (const ns of ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session']) assert.ok(inherit.includes(ns), ns);
  assert.ok(!inherit.includes('--unshare-net'));
  assert.ok(!inherit.includes('--unshare-user'), 'no user namespace: the function runs as its own unprivileged uid');
  assert.ok(bwrapArgs({ ...plan, netns: 'unshare' }).includes('--unshare-net'));
});

test('bwrap-args: the command runs through flint-sandbox-init with uid, nofile 1024, and the relays: 9001 to the Runtime API socket, 9002 to the Flint API socket', () => {
  const args = bwrapArgs(plan);
  assert.deepEqual(args.slice(args.indexOf('--') + 1), ['/run/flint-init', '1879048200', '1024', '9001', '/run/flint/runtime-api.sock', '9002', '/run/flint/flint-api.sock', '--', '/usr/bin/node', '/var/runtime/index.mjs']);
  const shell = bwrapArgs({ ...plan, init: { kind: 'shell' }, fds: { info: 3, seccomp: 4, block: 5 } });
  const cmd = shell.slice(shell.indexOf('--') + 1);
  assert.deepEqual(cmd.slice(0, 7), ['/usr/bin/setpriv', '--reuid=1879048200', '--regid=1879048200', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--']);
  assert.deepEqual(cmd.slice(-2), ['/usr/bin/node', '/var/runtime/index.mjs']);
  assert.deepEqual(shell.slice(shell.indexOf('--block-fd'), shell.indexOf('--block-fd') + 2), ['--block-fd', '5']);
});

test('bwrap-args: flint-sandbox-init is the pid namespace\'s init (no bwrap reaper); the shell init keeps bwrap\'s reaper', () => {
  assert.ok(bwrapArgs(plan).includes('--as-pid-1'));
  assert.ok(!bwrapArgs({ ...plan, init: { kind: 'shell' }, fds: { info: 3, seccomp: 4, block: 5 } }).includes('--as-pid-1'));
});

test('bwrap-args: an interpreter outside /usr is bound at its own path with traversable parents', () => {
  const args = bwrapArgs({ ...plan, extra: ['/opt/node-v20'] });
  assert.deepEqual(binds(args).find(([s]) => s === '/opt/node-v20'), ['/opt/node-v20', '/opt/node-v20']);
});

test('bwrap-args: a pre-initialized sandbox (no task root yet) gets an empty, traversable /var/task and no code bind', () => {
  const args = bwrapArgs({ ...plan, taskRoot: undefined });
  const sep = args.indexOf('--');
  assert.equal(binds(args.slice(0, sep)).find(([, d]) => d === '/var/task'), undefined);
  const dir = args.indexOf('/var/task');
  assert.deepEqual(args.slice(dir - 3, dir + 1), ['--perms', '0755', '--dir', '/var/task']);
  assert.deepEqual(args.slice(args.indexOf('--chdir'), args.indexOf('--chdir') + 2), ['--chdir', '/var/task']);
});

test('bwrap-args: /etc/localtime is the host\'s symlink into /usr/share/zoneinfo when it is one, else the bound file', () => {
  const linked = bwrapArgs({ ...plan, localtime: '/usr/share/zoneinfo/Etc/UTC' });
  const at = linked.indexOf('/etc/localtime');
  assert.deepEqual(linked.slice(at - 2, at + 1), ['--symlink', '/usr/share/zoneinfo/Etc/UTC', '/etc/localtime']);
  assert.equal(binds(linked).find(([, d]) => d === '/etc/localtime'), undefined);
  assert.deepEqual(binds(bwrapArgs(plan)).find(([, d]) => d === '/etc/localtime'), ['/etc/localtime', '/etc/localtime']);
});

test('bwrap-args: with node_modules in the runtime directory, /node_modules links to /var/runtime/node_modules (ES modules find the SDK); otherwise no link', () => {
  const link = (args: string[]) => args.slice(0, args.indexOf('--')).findIndex((a, i) => a === '--symlink' && args[i + 2] === '/node_modules');
  const withSdk = bwrapArgs({ ...plan, runtimeNodeModules: true });
  const at = link(withSdk);
  assert.ok(at >= 0);
  assert.equal(withSdk[at + 1], '/var/runtime/node_modules');
  assert.equal(link(bwrapArgs(plan)), -1);
});
