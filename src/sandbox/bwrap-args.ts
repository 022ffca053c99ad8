import { FLINT_API_PORT, NOFILE, RELAY_PORT, SANDBOX_API_SOCKET, SANDBOX_FLINT_API_SOCKET, withSandboxInit } from './sandbox-init-script.js';
import { dirname } from 'node:path';

/** Where flint-sandbox-init appears inside. */
export const NATIVE_INIT_PATH = '/run/flint-init';

/** Where Flint's CA appears inside (AWS_CA_BUNDLE, NODE_EXTRA_CA_CERTS). */
export const FLINT_CA_IN_SANDBOX = { bundle: '/etc/flint/ca-bundle.pem', cert: '/etc/flint/ca.pem' } as const;

/** Where things appear inside a bwrap sandbox (Lambda's layout). */
export const SANDBOX_PATHS = { taskRoot: '/var/task', opt: '/opt', runtimeDir: '/var/runtime', tmp: '/tmp' } as const;

/**
 * Host /etc entries a runtime may need (TLS roots, the dynamic linker cache, name service and
 * time zone configuration). Everything else of the host's /etc stays invisible.
 */
export const HOST_ETC_ENTRIES = [
  'ssl', 'ca-certificates', 'ca-certificates.conf', 'pki', 'alternatives', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d',
  'nsswitch.conf', 'host.conf', 'gai.conf', 'localtime', 'mime.types', 'protocols', 'services', 'os-release',
] as const;

/** How each top-level system directory exists on the host: merged-/usr hosts make them symlinks. */
export type RootEntry = { name: string; symlink?: string };

export interface BwrapPlan {
  /** Host /bin, /lib, ... (symlink targets or real directories). */
  rootEntries: readonly RootEntry[];
  /**
   * The host's /etc/localtime symlink target, when it is one into /usr (which the sandbox sees):
   * recreated as the same symlink rather than bound as a file. ICU finds the zone's name from the
   * link; a plain file makes it compare every file under /usr/share/zoneinfo whenever TZ is unset
   * or changes at run time (tens of ms in a pre-initialized runtime's bind).
   */
  localtime?: string;
  /** Host directory with generated hosts and resolv.conf.{default,isolated}, shared by all sandboxes. */
  etcDir: string;
  /** The sandbox's private host directory: passwd, group, and api/ holding the Runtime API and Flint API sockets. */
  sandboxDir: string;
  /** The unprivileged host uid (and gid) the function runs as. */
  uid: number;
  network: 'default' | 'isolated';
  tmpBytes: number;
  /** Host directory shown as /var/task; undefined: an empty mount point, filled at bind (a pre-initialized sandbox). */
  taskRoot: string | undefined;
  runtimeDir: string;
  /**
   * The runtime directory holds node_modules (Node.js's: the AWS SDK): `/node_modules` links to
   * it, so ES modules anywhere find the SDK after their own node_modules (ESM ignores NODE_PATH).
   */
  runtimeNodeModules?: boolean;
  /** Host directory to show as /opt, or undefined for an empty one. */
  opt: string | undefined;
  /** Flint's CA on the host, when its API is HTTPS: bound read-only at FLINT_CA_IN_SANDBOX. */
  flintCa?: { bundle: string; cert: string };
  /** Host directories bound read-only at their own path (an interpreter outside /usr). */
  extra: readonly string[];
  /** File descriptor numbers in the bwrap process (stdio indexes); no block fd: start at once. */
  fds: { info: number; block?: number; seccomp: number };
  /** `unshare`: bwrap makes a new network namespace; `inherit`: the launcher already entered one. */
  netns: 'unshare' | 'inherit';
  /** flint-sandbox-init's host path, or the shell init (setpriv + sh + socat) without one. */
  init: { kind: 'native'; path: string } | { kind: 'shell' };
  command: readonly string[];
}

/**
 * The bwrap command line for a plan (pure: unit-tested without running anything). bwrap runs as
 * root so it can mount what Flint's 0700 data directory holds; the function itself runs as an
 * unprivileged uid of its own, without capabilities, once the init has dropped them.
 */
export function bwrapArgs(p: BwrapPlan): string[] {
  const a: string[] = [];
  a.push(
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    ...(p.netns === 'unshare' ? ['--unshare-net'] : []),
    '--hostname', 'localhost',
    // flint-sandbox-init is the pid namespace's init (reaper and relay in one small process):
    // bwrap's own reaper would be one more process per environment. The shell init needs bwrap's.
    ...(p.init.kind === 'native' ? ['--as-pid-1'] : []),
    '--die-with-parent', '--new-session',
    '--info-fd', String(p.fds.info), '--seccomp', String(p.fds.seccomp),
    ...(p.fds.block !== undefined ? ['--block-fd', String(p.fds.block)] : []),
    '--ro-bind', '/usr', '/usr',
  );
  for (const e of p.rootEntries) {
    if (e.symlink !== undefined) a.push('--symlink', e.symlink, `/${e.name}`);
    else a.push('--ro-bind', `/${e.name}`, `/${e.name}`);
  }
  // Directories bwrap creates implicitly are 0700 (root-owned): spell out the ones the function
  // must traverse.
  for (const dir of ['/etc', '/var', '/run', SANDBOX_PATHS.opt]) a.push('--perms', '0755', '--dir', dir);
  for (const name of HOST_ETC_ENTRIES) {
    if (name === 'localtime' && p.localtime !== undefined) a.push('--symlink', p.localtime, '/etc/localtime');
    else a.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`);
  }
  a.push('--ro-bind', `${p.sandboxDir}/passwd`, '/etc/passwd', '--ro-bind', `${p.sandboxDir}/group`, '/etc/group');
  a.push('--ro-bind', `${p.etcDir}/hosts`, '/etc/hosts');
  if (p.flintCa) {
    a.push('--perms', '0755', '--dir', '/etc/flint');
    a.push('--ro-bind', p.flintCa.bundle, FLINT_CA_IN_SANDBOX.bundle, '--ro-bind', p.flintCa.cert, FLINT_CA_IN_SANDBOX.cert);
  }
  a.push('--ro-bind', `${p.etcDir}/resolv.conf.${p.network}`, '/etc/resolv.conf');
  a.push('--proc', '/proc', '--dev', '/dev', '--remount-ro', '/dev');
  a.push('--perms', '1777', '--size', String(p.tmpBytes), '--tmpfs', SANDBOX_PATHS.tmp);
  if (p.taskRoot !== undefined) a.push('--ro-bind', p.taskRoot, SANDBOX_PATHS.taskRoot);
  else a.push('--perms', '0755', '--dir', SANDBOX_PATHS.taskRoot);
  a.push('--ro-bind', p.runtimeDir, SANDBOX_PATHS.runtimeDir);
  if (p.runtimeNodeModules) a.push('--symlink', `${SANDBOX_PATHS.runtimeDir}/node_modules`, '/node_modules');
  if (p.opt !== undefined) a.push('--ro-bind', p.opt, SANDBOX_PATHS.opt);
  for (const dir of p.extra) {
    const parts = dir.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) a.push('--perms', '0755', '--dir', '/' + parts.slice(0, i).join('/'));
    a.push('--ro-bind', dir, dir);
  }
  a.push('--ro-bind', `${p.sandboxDir}/api`, dirname(SANDBOX_API_SOCKET));
  if (p.init.kind === 'native') a.push('--ro-bind', p.init.path, NATIVE_INIT_PATH);
  a.push('--chdir', SANDBOX_PATHS.taskRoot);
  // Everything mounted above is read-only already; this makes the root itself (the tmpfs bwrap
  // builds it on) read-only too, so /tmp is the only writable place.
  a.push('--remount-ro', '/');
  if (p.init.kind === 'native') a.push('--', NATIVE_INIT_PATH, String(p.uid), String(NOFILE), String(RELAY_PORT), SANDBOX_API_SOCKET, String(FLINT_API_PORT), SANDBOX_FLINT_API_SOCKET, '--', ...p.command);
  else a.push('--', ...withSandboxInit(p.uid, p.command));
  return a;
}
